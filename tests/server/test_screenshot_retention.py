"""Retention of screenshots (``prune --screenshots-days``): old rows go, a file goes only with its
last row (files are shared by content), cached copies go with it, and an upload of the same content
at the same moment never ends with a row whose file is missing."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ingestion.routes import screenshots as route
from ingestion.screenshot_retention import FILE_LOCK, FILE_LOCK_SPACE
from ingestion.storage import derived_path, relative_path
from tests.server.test_screenshots import PNG, _upload
from tests.support.pg import connect


def _prune(url: str, shots: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WFH_INGEST_DATABASE_URL=url, WFH_INGEST_SCREENSHOT_DIR=str(shots))
    return subprocess.run([sys.executable, "-m", "ingestion.cli", "prune", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def _age(url: str, client_id: str, days: int) -> None:
    with connect(url) as conn:
        conn.execute("UPDATE screenshots SET captured_at = now() - make_interval(days => %s) WHERE client_id = %s",
                     (days, client_id))


def _file(shots: Path, data: bytes) -> Path:
    return shots / relative_path(hashlib.sha256(data).hexdigest(), "png")


def test_old_screenshots_go_and_a_file_only_with_its_last_row(client: TestClient, key: str, clean_db: str,
                                                              tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    alone, shared, recent = PNG + b"alone", PNG + b"shared", PNG + b"recent"
    ids = {}
    for name, data in (("alone", alone), ("shared_old", shared), ("shared_new", shared), ("recent", recent)):
        response = _upload(client, key, data)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["client_id"]
    _age(clean_db, ids["alone"], 40)
    _age(clean_db, ids["shared_old"], 40)
    relative = relative_path(hashlib.sha256(alone).hexdigest(), "png")
    cached = [derived_path(shots, relative, thumb, blur) for thumb, blur in ((True, False), (False, True))]
    for path in cached:                                   # thumbnails the dashboard made
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"png")
    done = _prune(clean_db, shots, "--screenshots-days", "30")
    assert done.returncode == 0, done.stderr
    assert "screenshots: deleted 2 row(s) and 1 file(s)" in done.stderr
    with connect(clean_db) as conn:
        left = {str(r[0]) for r in conn.execute("SELECT client_id FROM screenshots")}
    assert left == {ids["shared_new"], ids["recent"]}
    assert not _file(shots, alone).exists() and not any(path.exists() for path in cached)
    assert _file(shots, shared).read_bytes() == shared and _file(shots, recent).exists()
    again = _prune(clean_db, shots, "--screenshots-days", "30")
    assert again.returncode == 0 and "deleted 0 row(s) and 0 file(s)" in again.stderr
    bad = _prune(clean_db, shots, "--screenshots-days", "0")
    assert bad.returncode == 1 and "at least 1 day" in bad.stderr


def test_an_upload_whose_file_retention_just_removed_writes_it_again(
        client: TestClient, key: str, clean_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is removed between the upload's first write and its row (as retention would do)."""
    shots = tmp_path / "shots"
    real = route.store_file
    calls: list[str] = []

    def store_then_lose(root: str, relative: str, data: bytes) -> None:
        real(root, relative, data)
        calls.append(relative)
        if len(calls) == 1:
            (Path(root) / relative).unlink()

    monkeypatch.setattr(route, "store_file", store_then_lose)
    response = _upload(client, key, PNG)
    assert response.status_code == 201, response.text
    assert len(calls) == 2 and _file(shots, PNG).read_bytes() == PNG


def test_an_upload_waits_for_retention_holding_its_digest(client: TestClient, key: str, clean_db: str) -> None:
    digest = hashlib.sha256(PNG).hexdigest()
    result: dict[str, Any] = {}
    with connect(clean_db) as holder:
        holder.execute("BEGIN")
        holder.execute(FILE_LOCK, (FILE_LOCK_SPACE, digest))    # what retention holds while it deletes
        upload = threading.Thread(target=lambda: result.update(response=_upload(client, key, PNG)))
        upload.start()
        deadline = time.monotonic() + 20
        with connect(clean_db) as watcher:
            while not watcher.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                                      " AND classid = %s::oid", (FILE_LOCK_SPACE,)).fetchone()[0]:
                assert time.monotonic() < deadline, "the upload never waited for the digest's lock"
                time.sleep(0.01)
        assert "response" not in result
        holder.execute("COMMIT")
        upload.join(timeout=20)
    assert result["response"].status_code == 201, result["response"].text
