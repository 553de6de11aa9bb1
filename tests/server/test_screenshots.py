"""Screenshot storage (contract §5.4): content-addressed files, metadata rows, idempotency."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.server.conftest import count_rows
from tests.server.records import ts
from tests.support.pg import connect

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
URL = "/api/v1/screenshots"


def _upload(client: TestClient, key: str, data: bytes, client_id: str | None = None, **meta: Any) -> Any:
    body = {"client_id": client_id or str(uuid.uuid4()), "captured_at": ts(-60),
            "sha256": hashlib.sha256(data).hexdigest(), "width": 1920, "height": 1080, "format": "png",
            "blurred": True, **meta}
    return client.post(URL, headers={"X-Api-Key": key}, data={"meta": json.dumps(body)},
                       files={"file": ("x.png", data, "image/png")})


def test_files_are_content_addressed_and_stored_once(client: TestClient, key: str, clean_db: str,
                                                     tmp_path: Path) -> None:
    first = _upload(client, key, PNG)
    second = _upload(client, key, PNG)  # another client_id, same bytes
    assert first.status_code == 201 and second.status_code == 201
    digest = hashlib.sha256(PNG).hexdigest()
    stored = tmp_path / "shots" / digest[:2] / digest[2:4] / f"{digest}.png"
    assert stored.read_bytes() == PNG
    assert [p for p in (tmp_path / "shots").rglob("*") if p.is_file()] == [stored]
    with connect(clean_db) as conn:
        rows = conn.execute("SELECT storage_path, size_bytes, width, blurred FROM screenshots").fetchall()
    assert rows == [(f"{digest[:2]}/{digest[2:4]}/{digest}.png", len(PNG), 1920, True)] * 2


def test_resend_is_200_and_conflict_is_409(client: TestClient, key: str, clean_db: str) -> None:
    client_id = str(uuid.uuid4())
    assert _upload(client, key, PNG, client_id).status_code == 201
    again = _upload(client, key, PNG, client_id)
    assert again.status_code == 200 and again.json()["result"] == "duplicate"
    other = _upload(client, key, PNG + b"\x01", client_id)
    assert other.status_code == 409 and other.json()["error"] == "conflict"
    assert count_rows(clean_db, "screenshots") == 1
    with connect(clean_db) as conn:
        statuses = [r[0] for r in conn.execute("SELECT http_status FROM ingest_log ORDER BY ingest_id")]
    assert statuses == [201, 200, 409]


def test_meta_validation_and_multipart_shape(client: TestClient, key: str) -> None:
    bad = _upload(client, key, PNG, width=0)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_meta"
    assert bad.json()["detail"].startswith("width: ")
    extra = _upload(client, key, PNG, thumbnail=True)
    assert extra.status_code == 422 and extra.json()["detail"].startswith("thumbnail: ")
    mismatch = _upload(client, key, PNG, emp_id=2002)
    assert mismatch.status_code == 403
    not_json = client.post(URL, headers={"X-Api-Key": key}, data={"meta": "{"},
                           files={"file": ("x.png", PNG, "image/png")})
    assert not_json.status_code == 400 and not_json.json()["error"] == "malformed_json"
    two_files = client.post(URL, headers={"X-Api-Key": key}, data={"meta": "{}"},
                            files=[("file", ("a", PNG, "image/png")), ("file", ("b", PNG, "image/png"))])
    assert two_files.status_code == 422 and two_files.json()["error"] == "invalid_multipart"
    wrong_type = client.post(URL, headers={"X-Api-Key": key, "Content-Type": "application/json"}, content=b"{}")
    assert wrong_type.status_code == 415
    garbage = client.post(URL, headers={"X-Api-Key": key, "Content-Type": "multipart/form-data; boundary=zz"},
                          content=b"--zz\r\nnonsense")
    assert garbage.status_code == 422 and garbage.json()["error"] == "invalid_multipart"
