"""``wfh-agent consent --accept``: print exactly what monitoring captures and record consent.

For managed and headless installs; the GUI shows the same text in its first-run dialog.
``consent`` alone prints the text and whether it was accepted; ``--revoke`` withdraws it.
"""

from __future__ import annotations

import argparse
from typing import Any

from app.monitor import consent
from app.profile import Profile


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("consent", help="show the monitoring consent text; --accept records consent")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--accept", action="store_true", help="accept the text printed and allow monitoring")
    group.add_argument("--revoke", action="store_true", help="withdraw consent (monitoring stops capturing)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    profile = Profile.open(args.data_dir)
    try:
        conn = profile.db.get()
        print(consent.CONSENT_TEXT)
        if args.accept:
            stamp = consent.record_consent(conn)
            print(f"Consent recorded at {stamp} (text sha256 {consent.consent_sha256()}).")
        elif args.revoke:
            consent.revoke_consent(conn)
            print("Consent withdrawn: monitoring will not capture anything until it is given again.")
        else:
            accepted = consent.consent_accepted_at(conn)
            print(f"Consent: accepted at {accepted}." if accepted else
                  "Consent: not given. Run `wfh-agent --data-dir DIR consent --accept` to give it.")
    finally:
        profile.close()
    return 0
