"""The command line: `python -m bot [run | console]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from datetime import date
from pathlib import Path

from bot.app import configured_channels, export, run_bot, run_console_app
from bot.backup import backup
from bot.config import ConfigError, Settings, load_settings
from bot.content import catalogue
from bot.content.calendar import CalendarError, calendar
from bot.content.campaign import CampaignError, use_campaign
from bot.logs import setup_logging
from bot.messages import plain_text
from bot.reminders import due_on, render

NO_CHANNEL = (
    "No channel is configured (TELEGRAM_BOT_TOKEN and ZALO_BOT_TOKEN are empty): "
    "opening the terminal console. See README.md to go live."
)
NO_CHANNEL_NO_TTY = (
    "No channel is configured (set TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN), and there is no"
    " terminal for the console."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Gương Sáng chatbot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run every configured channel until SIGTERM")
    sub.add_parser("console", help="chat with the bot in this terminal (no token, no network)")
    rem = sub.add_parser("reminders", help="print the reminders due on a date, sending nothing")
    rem.add_argument("--date", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    bak = sub.add_parser("backup", help="an online, consistent copy of the database")
    bak.add_argument("--out", required=True, type=Path, metavar="FILE")
    exp = sub.add_parser("export", help="write the workbook for the summary report")
    exp.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")
    exp.add_argument("--from", dest="start", type=date.fromisoformat, metavar="YYYY-MM-DD")
    exp.add_argument("--to", dest="end", type=date.fromisoformat, metavar="YYYY-MM-DD")
    exp.add_argument("--format", choices=("xlsx", "csv"), default=None)
    return parser


def print_reminders(day: date, settings: Settings) -> None:
    """Every reminder due on `day` (heads-ups and deadlines included), in full, in Vietnamese."""
    due = due_on(day, calendar(), settings.reminder_lead_days)
    texts = catalogue(settings.language)
    print(f"{day.strftime('%d/%m/%Y')}: {len(due)} reminder(s)")
    for item in due:
        print(f"\n[{item.key}] → subscribers of '{item.topic}'")
        print(plain_text(render(item, texts)))


def _export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the workbook or CSV and say how many stories it lists."""
    if args.start and args.end and args.start > args.end:
        print(f"--from {args.start} is after --to {args.end}.", file=sys.stderr)
        return 2
    fmt = args.format or ("csv" if args.out.suffix.lower() == ".csv" else "xlsx")
    try:
        listed = asyncio.run(export(settings, args.out, args.start, args.end, fmt))
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        # RuntimeError: the xlsx writer refused a cell ("Excel write error: …").
        print(f"Export failed: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {listed} stories")
    return 0


def _secrets(settings: Settings) -> list[str]:
    tokens = (settings.telegram_bot_token, settings.zalo_bot_token,
              settings.telegram_webhook_secret, settings.zalo_webhook_secret)
    return [t.get_secret_value() for t in tokens if t is not None]


def main(argv: list[str] | None = None) -> int:
    """Parse the command, load settings, and run it; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    quiet = args.command in ("console", "reminders", "export", "backup")
    setup_logging(_secrets(settings), logging.WARNING if quiet else logging.INFO,
                  json_lines=settings.log_format == "json")
    try:
        calendar()
        use_campaign(settings.campaign)
    except (CalendarError, CampaignError) as exc:
        print(exc, file=sys.stderr)
        return 2
    command = args.command
    if command == "export":
        return _export(args, settings)
    if command == "backup":
        try:
            version = backup(settings.database_path, args.out)
        except (OSError, sqlite3.Error, RuntimeError) as exc:
            print(f"Backup failed: {exc}", file=sys.stderr)
            return 2
        print(f"{args.out}: copy of {settings.database_path} (schema version {version})")
        return 0
    if command == "reminders":
        print_reminders(args.date, settings)
        return 0
    if command is None:
        if configured_channels(settings):
            command = "run"
        elif sys.stdin.isatty():
            print(NO_CHANNEL, file=sys.stderr)
            command = "console"
        else:
            print(NO_CHANNEL_NO_TTY, file=sys.stderr)
            return 2
    if command == "console":
        asyncio.run(run_console_app(settings))
        return 0
    if not configured_channels(settings):
        print(NO_CHANNEL_NO_TTY.split(", and")[0] + ".", file=sys.stderr)
        return 2
    asyncio.run(run_bot(settings))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
