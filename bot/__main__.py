"""The command line: `python -m bot [run | console]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path

from bot.backup import backup, dated_name, mirror_media, prune
from bot.config import ACCOUNT, ConfigError, Settings, load_settings
from bot.content import ContentError, Library, catalogue, check_content, load_library
from bot.logs import setup_logging
from bot.messages import plain_text
from bot.reminders import due_on, render

log = logging.getLogger("bot")

NO_CHANNEL = (
    "No channel is configured (TELEGRAM_BOT_TOKEN and ZALO_BOT_TOKEN are empty): "
    "opening the terminal console (logs in {log}). See README.md to go live."
)
CONSOLE = "Terminal console (logs in {log})."
NO_CHANNEL_NO_TTY = (
    "No channel is configured (set TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN), and there is no"
    " terminal for the console."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Gương Sáng chatbot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run every configured channel until SIGTERM")
    chat = sub.add_parser("console",
                          help="chat with the bot in this terminal (no token, no network)")
    chat.add_argument("--as", dest="person", metavar="NAME",
                      help="who you are in the console, console:NAME (default: your login)")
    gra = sub.add_parser("grant", help="give a person a role, as /grant does (the operator acting)")
    gra.add_argument("person", help="@username, telegram:<id>, zalo:<id>, console:<name> …")
    gra.add_argument("role", help="reviewer, officer or admin")
    gra.add_argument("communes", nargs="*", metavar="COMMUNE",
                     help="for a reviewer or an officer: communes by name (quoted when several"
                          " words) or code")
    imp = sub.add_parser("import", help="file the stories of a filled /import spreadsheet")
    imp.add_argument("file", type=Path, metavar="FILE.xlsx")
    imp.add_argument("--as", dest="as_person", metavar="PERSON",
                     help="the officer, reviewer or admin filing them (@username, telegram:<id>"
                          " …); default: you, as console:<login>")
    rem = sub.add_parser("reminders", help="print the reminders due on a date, sending nothing")
    rem.add_argument("--date", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    bak = sub.add_parser("backup", help="an online, consistent copy of the database")
    where = bak.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, metavar="FILE", help="copy to this file")
    where.add_argument("--dir", type=Path, metavar="FOLDER",
                       help="nightly copy: a dated file in FOLDER, keeping the newest BACKUP_KEEP")
    exp = sub.add_parser("export", help="write the workbook for the summary report")
    exp.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")
    exp.add_argument("--from", dest="start", type=date.fromisoformat, metavar="YYYY-MM-DD")
    exp.add_argument("--to", dest="end", type=date.fromisoformat, metavar="YYYY-MM-DD")
    exp.add_argument("--format", choices=("xlsx", "csv"), default=None)
    oa = sub.add_parser("zalo-oa", help="Zalo Official Account: grant the app its tokens")
    oa_sub = oa.add_subparsers(dest="oa_command", required=True)
    auth = oa_sub.add_parser("authorize", help="print the permission link, exchange the code")
    auth.add_argument("--code", help="the code (or the whole address) from the consent page")
    auth.add_argument("--new-verifier", action="store_true",
                      help="make a new PKCE verifier (update the challenge in the app console)")
    exp.add_argument("--campaign", metavar="KEY|YEAR", help="only this campaign's stories")
    con = sub.add_parser("content", help="the campaign and calendar files")
    con.add_argument("action", choices=("check",),
                     help="check: name every problem in every file (shipped and CONTENT_DIR)")
    return parser


def print_reminders(day: date, settings: Settings, library: Library) -> None:
    """Every reminder due on `day` (heads-ups and deadlines included), in full, in Vietnamese."""
    due = due_on(day, library.calendar, settings.reminder_lead_days)
    texts = catalogue(settings.language)
    print(f"{day.strftime('%d/%m/%Y')}: {len(due)} reminder(s)")
    for item in due:
        print(f"\n[{item.key}] → subscribers of '{item.topic}'")
        print(plain_text(render(item, texts)))


def check_files(settings: Settings) -> int:
    """`content check`: one line per problem in every content file; 1 when there is any."""
    problems = check_content(settings.content_folder, settings.campaign)
    for line in problems:
        print(line)
    if problems:
        return 1
    folder = settings.content_folder
    found = "" if folder.is_dir() else " (the folder does not exist yet: nothing added)"
    print(f"Content files are fine: shipped ones and {folder}{found}.")
    return 0


def _export(args: argparse.Namespace, settings: Settings, library: Library) -> int:
    """Write the workbook or CSV and say how many stories it lists."""
    from bot.app import export

    if args.start and args.end and args.start > args.end:
        print(f"--from {args.start} is after --to {args.end}.", file=sys.stderr)
        return 2
    fmt = args.format or ("csv" if args.out.suffix.lower() == ".csv" else "xlsx")
    campaign = None
    if args.campaign:
        found = library.campaigns.find(args.campaign)
        if len(found) != 1:
            known = ", ".join(c.key for c in library.campaigns.all)
            print(f"--campaign {args.campaign}: names {len(found)} campaigns (known: {known}).",
                  file=sys.stderr)
            return 2
        campaign = found[0].key
    try:
        listed = asyncio.run(export(settings, args.out, args.start, args.end, fmt, library,
                                    campaign))
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        # RuntimeError: the workbook's writer failed (ExportFailed says why in one line).
        print(f"Export failed: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {listed} {'story' if listed == 1 else 'stories'}")
    return 0


def _secrets(settings: Settings) -> list[str]:
    tokens = (settings.telegram_bot_token, settings.zalo_bot_token,
              settings.telegram_webhook_secret, settings.zalo_webhook_secret,
              settings.zalo_oa_app_secret, settings.zalo_oa_secret_key,
              settings.zalo_oa_refresh_token)
    return [t.get_secret_value() for t in tokens if t is not None]


def _resolve(command: str | None, settings: Settings) -> str | None:
    """Bare `python -m bot`: run the configured channels, or the console on a terminal."""
    if command is not None:
        return command
    from bot.app import configured_channels

    if configured_channels(settings):
        return "run"
    if sys.stdin.isatty():
        return "console"
    print(NO_CHANNEL_NO_TTY, file=sys.stderr)
    return None


def main(argv: list[str] | None = None) -> int:
    """Parse the command, load settings and content, and run it; return the exit code. Every
    file the bot writes (database, logs, photos, exports, backups, the console's files) may hold
    personal data, so it is made readable by this user alone, as systemd's UMask=0077 does."""
    private = os.umask(0o077)
    try:
        return _main(argv)
    finally:
        os.umask(private)


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    command = _resolve(args.command, settings)
    if command is None:
        return 2
    # In the console the screen is the conversation: log lines go to a file beside the database.
    log_file = settings.database_path.parent / "guongsang.log" if command == "console" else None
    quiet = command in ("reminders", "export", "backup", "zalo-oa", "content", "grant", "import")
    try:
        setup_logging(_secrets(settings), logging.WARNING if quiet else logging.INFO,
                      json_lines=settings.log_format == "json", file=log_file)
    except OSError:  # no log file where the database should be: the check below says why
        setup_logging(_secrets(settings), logging.WARNING,
                      json_lines=settings.log_format == "json")
    if command == "content":
        return check_files(settings)
    if command == "backup":
        return _backup(args, settings)
    try:
        library = load_library(settings.content_folder, settings.campaign)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 2
    if command == "reminders":
        print_reminders(args.date, settings, library)
        return 0
    person = getattr(args, "person", None) if command == "console" else None
    if person is not None and not ACCOUNT.fullmatch(person):
        print(f"--as {person!r}: a name is one word, without spaces, commas or colons.",
              file=sys.stderr)
        return 2
    # The application (channels, storage, scheduler) loads only for the commands that use it,
    # so a bad setting or a backup answers at once.
    from bot.startup import StartupError
    from bot.storage import DatabaseFileError

    try:
        if command == "export":
            return _export(args, settings, library)
        if command == "grant":
            return _grant(args, settings, library)
        if command == "import":
            return _import(args, settings, library)
        if command == "zalo-oa":
            from bot.channels.zalo_oa_auth import authorize

            return asyncio.run(authorize(settings, sys.stdin, sys.stdout, code=args.code,
                                         renew=args.new_verifier))
        notice = (NO_CHANNEL if args.command is None else CONSOLE).format(log=log_file)
        return _serve(command, settings, library, notice, person)
    except (StartupError, DatabaseFileError, ContentError) as exc:
        print(exc, file=sys.stderr)
        return 1 if isinstance(exc, StartupError) else 2


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    """One copy to --out, or tonight's dated copy in --dir with the older ones pruned; then the
    photo archive mirrored into a `media` folder beside the copy."""
    from bot.storage.photos import media_folder

    out: Path = args.out or args.dir / dated_name(datetime.now(settings.tz).date())
    media, archive = out.parent / "media", media_folder(settings.database_path)
    try:
        version = backup(settings.database_path, out)
        removed = prune(args.dir, settings.backup_keep) if args.dir else []
        print(f"{out}: copy of {settings.database_path} (schema version {version})")
        if removed:
            print(f"removed {len(removed)} older backup(s), keeping {settings.backup_keep}")
        if not archive.is_dir():  # no photo was ever archived: nothing to mirror
            return 0
        if media.resolve() == archive.resolve():
            print(f"{media}: the photo archive itself (the copy is beside the database)")
            return 0
        held, copied, removed_items = mirror_media(archive, media)
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 2
    print(f"{media}: photo archive, {held} items ({copied} copied, {removed_items} removed)")
    return 0


def _grant(args: argparse.Namespace, settings: Settings, library: Library) -> int:
    """`grant PERSON ROLE [COMMUNE…]`: the /grant answer, printed; 1 when refused."""
    from bot.grant_cli import grant_role

    said = asyncio.run(grant_role(settings, library, [args.person, args.role, *args.communes]))
    print(plain_text(said.text), file=sys.stderr if said.refused else sys.stdout)
    return 1 if said.refused else 0


def _import(args: argparse.Namespace, settings: Settings, library: Library) -> int:
    """`import FILE.xlsx [--as PERSON]`: the import's report, printed (refusals on stderr)."""
    from bot.import_cli import import_file

    text, code = asyncio.run(import_file(settings, library, args.file, args.as_person))
    print(text, file=sys.stderr if code else sys.stdout)
    return code


def _serve(command: str, settings: Settings, library: Library, notice: str,
           person: str | None = None) -> int:
    """The console (as `person`, or the login), or every configured channel until SIGTERM."""
    from bot.app import configured_channels, run_bot, run_console_app
    from bot.startup import StartupError
    from bot.storage import DatabaseFileError

    if command == "console":
        asyncio.run(run_console_app(settings, library=library, notice=notice, user=person))
        return 0
    if not configured_channels(settings):
        print(NO_CHANNEL_NO_TTY.split(", and")[0] + ".", file=sys.stderr)
        return 2
    try:
        asyncio.run(run_bot(settings, library=library))
    except (StartupError, DatabaseFileError, ContentError):
        raise
    except Exception as exc:  # logged through the filter that removes every secret
        log.critical("the bot stopped: %s", type(exc).__name__, exc_info=True)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
