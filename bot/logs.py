"""Logging, configured once, with every secret redacted from every line."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["JsonLines", "RedactSecrets", "setup_logging"]


class RedactSecrets(logging.Filter):
    """Replace each secret by '***' in the formatted message, whoever logged it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets removed."""
        if not self._secrets:
            return True
        message = record.getMessage()
        for secret in self._secrets:
            message = message.replace(secret, "***")
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self._secrets:
                record.exc_text = record.exc_text.replace(secret, "***")
        record.msg, record.args = message, None
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        """time, level, logger, message (and the exception, if any)."""
        entry = {"time": self.formatTime(record), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(secrets: Iterable[str], level: int = logging.INFO,
                  json_lines: bool = False, file: Path | None = None) -> None:
    """Log to stderr (or to `file`, readable by the service alone); the HTTP client's
    per-request lines (which carry the URL) stay quiet."""
    handler: logging.Handler
    if file is None:
        handler = logging.StreamHandler()
    else:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        file.touch(mode=0o600, exist_ok=True)
        os.chmod(file, 0o600)
        handler = logging.FileHandler(file, encoding="utf-8")
    handler.setFormatter(JsonLines() if json_lines else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
