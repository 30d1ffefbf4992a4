"""A local TCP port for a server a test starts on a fixed number.

Asking the kernel for port 0 and closing the socket again races every other server in the run
that binds port 0 (the fake platforms do): the kernel may hand the same ephemeral port out
again before the bot binds it. Ports are therefore taken below the kernel's ephemeral range,
where no port-0 bind ever lands, each one checked free and never handed out twice per run.
"""

from __future__ import annotations

import itertools
import os
import random
import socket
from pathlib import Path


def _ephemeral_floor() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_FLOOR = min(_ephemeral_floor(), 32768)
_START = 10000 + (os.getpid() * 7919 + random.randrange(1000)) % max(_FLOOR - 10000 - 2000, 1)
_CANDIDATES = itertools.count(_START)


def unused_port() -> int:
    """A port on 127.0.0.1 that is free now and outside the range port-0 binds use."""
    for port in _CANDIDATES:
        if port >= _FLOOR:
            break
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free local port below the ephemeral range")
