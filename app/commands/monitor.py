"""``wfh-agent monitor [--for SECONDS]``: the monitoring agent without a window.

Same sampler, span merger and screenshots as the GUI, for kiosk setups, login services and
tests. SIGTERM and Ctrl+C stop it cleanly: the open span is closed and written, aggregates are
updated. Without consent it exits with status 3 and says how to give it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import Any

from app.monitor.runner import MonitorEvents, MonitorRunner, NoConsentError
from app.profile import Profile
from app.single_instance import hold_profile

EXIT_NO_CONSENT = 3
EXIT_BUSY = 4


class _PrintEvents(MonitorEvents):
    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose

    def state_changed(self, state: str, detail: str) -> None:
        print(f"monitor: {state}{' ' + detail if detail else ''}", file=sys.stderr, flush=True)

    def warning(self, message: str) -> None:
        print(f"monitor: warning: {message}", file=sys.stderr, flush=True)

    def spans_written(self, count: int) -> None:
        if self.verbose:
            print(f"monitor: {count} span(s) written", file=sys.stderr, flush=True)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("monitor", help="run the monitoring agent headless (no window)")
    parser.add_argument("--for", dest="seconds", type=float, metavar="SECONDS",
                        help="stop after SECONDS (default: until SIGTERM/Ctrl+C)")
    parser.add_argument("--verbose", action="store_true", help="log every write")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.verbose:
        logging.getLogger("app.monitor").setLevel(logging.INFO)
    profile = Profile.open(args.data_dir)
    lock = hold_profile(profile.paths)
    if lock is None:  # the window's own agent already records this profile: two would double every span
        profile.close()
        print("wfh-agent: WFH Agent is already running for this profile and records activity itself; "
              "not starting a second monitor", file=sys.stderr)
        return EXIT_BUSY
    runner = MonitorRunner(profile, events=_PrintEvents(args.verbose))
    previous = {}

    def _stop(signum: int, _frame: Any) -> None:
        runner.request_stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, _stop)
    try:
        runner.run(duration=args.seconds)
    except NoConsentError as exc:
        print(f"wfh-agent: {exc}", file=sys.stderr)
        return EXIT_NO_CONSENT
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        profile.close()
        lock.unlock()
    return 0
