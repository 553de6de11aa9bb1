"""A realistic profile for screenshots and manual checks: four weeks of rater tasks.

Used by ``tests/gui/screenshots.py``; also handy by hand:
``python -m tests.gui.demo_data /tmp/guidemo`` then ``python main.py --data-dir /tmp/guidemo``.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta

from app.services.data_service import DataService

PROJECTS = [
    ("SQR", "Search Quality Rating", 1800), ("ADR", "Ads Relevance", 900), ("MLG", "Maps Local Guides", 1200),
    ("VAE", "Voice Assistant Eval", 2400), ("TQA", "Translation QA (de→en)", 3600),
]
OPERATIONS = ["rate", "review", "audit", "side-by-side", "calibration"]
FEEDBACK = [
    "Clear guidelines, finished within the limit.", "Ambiguous query; flagged for calibration.",
    "Two results were duplicates — reported.", "Audio clipped at the end, rated on what was audible.",
    "Needed a second pass on the terminology.", "", "Reviewer agreed with all ratings.",
    "Landing page did not load on first try.",
]


def fill(data: DataService, seed: int = 48) -> int:
    """Create the demo weeks; returns the id of the newest (the one to show)."""
    rng = random.Random(seed)
    newest = 0
    weeks = [("2026-W45", 22, False), ("2026-W46", 27, True),
             ("2026-W47", 31, False), ("2026-W48", 26, True)]
    for index, (label, count, bonus) in enumerate(weeks):
        fields = {"is_bonus_week": int(bonus), "bonus_rate": 4.5 if bonus else 0.0,
                  "bonus_threshold_seconds": 20 * 3600 if bonus else 0, "week_end_day": 4, "week_end_hour": 18,
                  "notes": "Bonus week announced by the vendor." if bonus else ""}
        week_id = data.create_week(label, **fields)
        monday = datetime(2026, 11, 2, 8, 30) + timedelta(weeks=index)
        rows = []
        for n in range(count):
            code, name, limit = rng.choices(PROJECTS, weights=[5, 3, 2, 2, 1])[0]
            seconds = max(120, int(rng.gauss(limit * 0.8, limit * 0.3)))
            begin = monday + timedelta(days=n * 5 // count, minutes=rng.randint(0, 480))
            rows.append({
                "project_name": name, "project_id": code, "attempt_id": f"ATT-{rng.randint(10000, 99999)}",
                "operation_id": rng.choice(OPERATIONS), "duration_seconds": seconds, "time_limit_seconds": limit,
                "score": min(100, max(55, int(rng.gauss(88, 9)))), "feedback": rng.choice(FEEDBACK) or None,
                "locale": rng.choice(["en_US", "en_US", "de_DE", "en_GB"]), "bonus_paid": int(bonus and n % 3 == 0),
                "date_audited": (begin + timedelta(days=1)).date().isoformat(),
                "time_begin": begin.isoformat(timespec="minutes"),
                "time_end": (begin + timedelta(seconds=seconds)).isoformat(timespec="minutes"),
            })
        data.create_tasks(week_id, rows)
        newest = week_id
    return newest


if __name__ == "__main__":  # pragma: no cover - manual use
    from app.ui.context import AppContext

    ctx = AppContext.open(sys.argv[1] if len(sys.argv) > 1 else "/tmp/guidemo")
    print("newest week id:", fill(ctx.data))
    ctx.close()
