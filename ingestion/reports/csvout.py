"""Tables as CSV. Cells that a spreadsheet would run as a formula (device data is attacker-controlled)
get a leading apostrophe (OWASP CSV injection advice)."""

from __future__ import annotations

import csv
import io
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def wants_csv(path: str, accept: str | None) -> bool:
    return path.endswith(".csv") or (accept or "").split(",")[0].strip().startswith("text/csv")
