"""ADMIN_IDS: the bootstrap admins, people on every channel, as the settings name them.

`123` and `telegram:123` are a Telegram user id (kept as a number); `zalo:<id>`, `zalo_oa:<id>`
and `console:<name>` are people on those channels (kept as `channel:<id>`).
"""

from __future__ import annotations

import re

__all__ = ["ACCOUNT", "ADMIN_CHANNELS", "admin_account", "admin_entry"]

# The channels a person in ADMIN_IDS may be on, as `channel:<id>` (a bare number is Telegram's).
ADMIN_CHANNELS = ("telegram", "zalo", "zalo_oa", "console")
ACCOUNT = re.compile(r"[^\s,:]{1,64}")  # an account id in ADMIN_IDS, a console name


def admin_entry(part: object) -> int | str:
    """One person of ADMIN_IDS: a Telegram id as a number, anyone else as `channel:<id>`."""
    if isinstance(part, int):
        return part
    text = str(part).strip()
    channel, sep, account = text.partition(":")
    if not sep:
        channel, account = "telegram", text
    channel = channel.strip().lower()
    account = account.strip()
    if channel == "telegram":
        if not account.lstrip("-").isdecimal():
            raise ValueError(f"not a person: {text!r} (a Telegram user id, or telegram:<id>,"
                             " zalo:<id>, zalo_oa:<id>, console:<name>)")
        return int(account)
    if channel not in ADMIN_CHANNELS:
        raise ValueError(f"unknown channel {channel!r} in {text!r} (use"
                         f" {', '.join(c + ':' for c in ADMIN_CHANNELS)})")
    if not ACCOUNT.fullmatch(account):
        raise ValueError(f"not an account id after {channel}: in {text!r} (one word, no"
                         " spaces or commas)")
    return f"{channel}:{account}"


def admin_account(entry: int | str) -> tuple[str, str]:
    """(channel, account id) of one ADMIN_IDS entry."""
    if isinstance(entry, int):
        return "telegram", str(entry)
    channel, _, account = entry.partition(":")
    return (channel, account) if account else ("telegram", channel)
