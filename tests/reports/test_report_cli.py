"""``wfh-agent report`` as a user runs it: a subprocess on a real profile."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from app.profile import Profile
from app.storage.repositories import refresh_week_statistics
from tests.test_cli import run_cli


def fill(folder: Path) -> None:
    profile = Profile.open(folder)
    try:
        conn = profile.db.get()
        week = int(conn.execute("INSERT INTO weeks (week_label, start_date) VALUES ('2026-W48', '2026-11-23')")
                   .lastrowid or 0)
        for project, day, seconds, score in (("Alpha", "2026-11-24", 3600, 90), ("Beta", "2026-11-25", 1800, None),
                                             ("Alpha", "2026-11-26", 600, 70), ("\x1b[31mRed", "2026-11-26", 60, 50)):
            conn.execute("INSERT INTO tasks_optimized (week_id, project_name, duration_seconds, score, date_audited) "
                         "VALUES (?, ?, ?, ?, ?)", (week, project, seconds, score, day))
        refresh_week_statistics(conn, week)
        profile.settings.set("display.currency", "EUR")
        profile.settings.save()
    finally:
        profile.close()


def test_report_json_csv_and_table(data_dir: Path) -> None:
    fill(data_dir)
    args = ("--data-dir", str(data_dir), "report", "--from", "2026-11-23", "--to", "2026-11-29")
    result = run_cli(*args, "--by", "project", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [row["label"] for row in data["rows"]][:2] == ["Alpha", "Beta"]
    assert data["rows"][0]["duration_seconds"] == 4200 and data["rows"][0]["avg_score"] == 80.0
    assert data["rows"][1]["avg_score"] is None and data["currency"] == "EUR"
    result = run_cli(*args, "--by", "day", "--csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["group"] for r in rows] == ["2026-11-24 (Tue)", "2026-11-25 (Wed)", "2026-11-26 (Thu)", "Total"]
    assert rows[-1]["time"] == "01:41:00"
    table = run_cli(*args, "--by", "project")
    assert table.returncode == 0 and "Alpha" in table.stdout and "01:41:00" in table.stdout
    assert "\x1b" not in table.stdout and "?[31mRed" in table.stdout


def test_bad_input_is_one_line_and_exit_2(data_dir: Path) -> None:
    base = ("--data-dir", str(data_dir), "report")
    for extra, message in ((("--from", "2026-13-01", "--to", "2026-12-31"), "--from: use a date like"),
                           (("--from", "2026-12-02", "--to", "2026-12-01"), "ends (2026-12-01) before it begins"),
                           (("--from", "2026-12-01", "--to", "2026-12-31", "--by", "month"), "invalid choice")):
        result = run_cli(*base, *extra)
        assert result.returncode == 2, result
        assert message in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""
    single = run_cli(*base, "--from", "x", "--to", "2026-12-31")
    assert single.stderr.strip().count("\n") == 0
