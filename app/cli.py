"""Command line: ``wfh-agent [--data-dir DIR]`` starts the GUI; subcommands run without a window.

Subcommands live in ``app/commands/`` (one module each, listed in ``COMMAND_MODULES``). Each
module has ``register(subparsers)`` that adds its parser and sets ``handler(args) -> int``.
Expected failures (newer schema, corrupt DB, a read-only data folder, bad input) print one line
to stderr and exit non-zero; no traceback. Global options (``--data-dir``) go before or after
the subcommand; output into a closed pipe (``db-info | head``) ends quietly.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from app.errors import WfhError
from app.version import __version__

COMMAND_MODULES = [
    "app.commands.db_info",
    "app.commands.import_legacy",
    "app.commands.monitor",
    "app.commands.consent",
    "app.commands.activity",
    "app.commands.sync",
    "app.commands.status",
    "app.commands.backup",
    "app.commands.restore",
    "app.commands.desktop_integration",
    "app.commands.task",
    "app.commands.report",
    "app.commands.restore_server",
]

EXIT_USER_ERROR = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe
DATA_DIR_HELP = "profile folder (overrides WFH_AGENT_DATA_DIR)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wfh-agent",
        description="WFH Agent: offline-first time tracker and work-from-home monitor.",
    )
    parser.add_argument("--version", action="version", version=f"wfh-agent {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help=DATA_DIR_HELP)
    parser.add_argument("--minimized", action="store_true", help="start hidden in the tray")
    parser.add_argument("--offline", action="store_true", help="start in Work offline mode")
    parser.add_argument(
        "--smoke-test", action="store_true",
        help="open the main window, create the DB, write a task, exit 0 (used by packaging tests)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for command in subparsers.choices.values():
        # also after the subcommand; SUPPRESS keeps a value given before it when none comes after
        command.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help=DATA_DIR_HELP)
    return parser


def _quiet_broken_pipe() -> int:
    """The reader went away (``| head``): drop what is left instead of a traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # stderr shows warnings only, whatever the file log level
        handler.setLevel(logging.WARNING)
    try:
        if args.command is None:
            from app.ui.launch import run_gui

            return run_gui(args)
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe shows up here for short output
        return code
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except WfhError as exc:
        print(f"wfh-agent: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
