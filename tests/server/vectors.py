"""Loading and running the contract vectors (tests/contract, README there; contract: docs/INGESTION_API.md)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_DIR = REPO_ROOT / "tests" / "contract"

PLACEHOLDER_KEYS = {
    "wfh_TESTPREF_placeholder-valid-key-000000000000000000": "TESTPREF",
    "wfh_TESTREVK_placeholder-revoked-key-0000000000000000": "TESTREVK",
    "wfh_TESTEXPD_placeholder-expired-key-0000000000000000": "TESTEXPD",
    "wfh_TESTDEV2_placeholder-second-device-key-0000000000": "TESTDEV2",  # v1.2: TEST-LAPTOP-2
}
_TIME = re.compile(r"\{\{(now|today)(?:([+-])(\d+)([smhd]))?\}\}")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def contract_dir() -> Path:
    """The vector folder; a missing folder is an error, never a silent skip."""
    if not CONTRACT_DIR.is_dir() or not any(CONTRACT_DIR.glob("*.json")):
        raise FileNotFoundError(
            f"contract vectors not found at {CONTRACT_DIR}: the repository checkout is incomplete"
        )
    return CONTRACT_DIR


def load_vectors() -> list[dict[str, Any]]:
    vectors = []
    for path in sorted(contract_dir().glob("*.json")):
        vector = json.loads(path.read_text(encoding="utf-8"))
        assert vector["name"] == path.stem, f"{path.name}: name must equal the file name"
        vectors.append(vector)
    return vectors


def client_only_reason() -> str:
    """The documented rule for skipping client-only vectors, quoted from the contract README."""
    readme = (contract_dir() / "README.md").read_text(encoding="utf-8")
    match = re.search(r"\| `client_only` \| no \| (.+?) \|\n", readme)
    return match.group(1) if match else "client_only: the real server never produces this response"


def substitute_time(value: Any, base: datetime) -> Any:
    if isinstance(value, dict):
        return {k: substitute_time(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_time(v, base) for v in value]
    if isinstance(value, str):
        match = _TIME.fullmatch(value)
        if match:
            kind, sign, amount, unit = match.groups()
            delta = timedelta(**{_UNITS[unit]: int(amount)}) if amount else timedelta()
            moment = base + delta if sign != "-" else base - delta
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if kind == "now" else moment.date().isoformat()
    return value


def substitute_prefixes(value: Any, prefixes: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: substitute_prefixes(v, prefixes) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_prefixes(v, prefixes) for v in value]
    if isinstance(value, str):
        for placeholder, real in prefixes.items():
            value = value.replace(placeholder, real)
    return value


def build_body_note(name: str, meta_vector: dict[str, Any] | None) -> tuple[bytes | None, dict[str, Any]]:
    """Bodies of the five ``body_note`` vectors, exactly as their notes say."""
    if name == "ingest_too_many_records":
        return json.dumps({"records": [{}] * 1001}, separators=(",", ":")).encode(), {}
    if name == "ingest_body_too_large":
        shell = '{"records":[{"window_title":"' + '"}]}'
        body = shell[:-4].encode() + b"a" * (4_194_305 - len(shell)) + shell[-4:].encode()
        assert len(body) == 4_194_305
        return body, {}
    if name == "ingest_gzip_bomb":
        return gzip.compress(b'{"records":[]}' + b" " * 67_108_864, compresslevel=9), {}
    if name == "screenshots_too_large":
        assert meta_vector is not None
        data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10_485_753
        meta = dict(meta_vector["request"]["multipart"]["meta"], sha256=hashlib.sha256(data).hexdigest())
        return None, {"meta": meta, "file": data}
    if name == "screenshots_byte_budget":
        assert meta_vector is not None
        data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10_485_752
        meta = dict(meta_vector["request"]["multipart"]["meta"], sha256=hashlib.sha256(data).hexdigest())
        return None, {"meta": meta, "file": data}
    raise AssertionError(f"no builder for body_note vector {name}")


def send(client: httpx.Client, step: dict[str, Any], keys: dict[str, str],
         note_parts: dict[str, Any] | None = None, note_body: bytes | None = None) -> httpx.Response:
    """Send one vector request (placeholders already substituted except keys)."""
    headers = {k: keys.get(v, v) for k, v in step.get("headers", {}).items()}
    method, path = step["method"], step["path"]
    if "multipart" in step or note_parts:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        if note_parts:
            meta, data, filename, ctype = note_parts["meta"], note_parts["file"], "screenshot.png", "image/png"
        else:
            meta = step["multipart"]["meta"]
            file_part = step["multipart"].get("file")
            data = base64.b64decode(file_part["base64"]) if file_part else None
            filename = file_part["filename"] if file_part else ""
            ctype = file_part["content_type"] if file_part else ""
        files = {"file": (filename, data, ctype)} if data is not None else None
        meta_text = json.dumps(meta, separators=(",", ":"), ensure_ascii=False)
        if files is None:  # httpx only sends multipart when files are given: build it by hand
            boundary = "wfhtestboundary"
            body = (f'--{boundary}\r\nContent-Disposition: form-data; name="meta"\r\n\r\n{meta_text}\r\n'
                    f"--{boundary}--\r\n").encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            return client.request(method, path, headers=headers, content=body)
        return client.request(method, path, headers=headers, data={"meta": meta_text}, files=files)
    content: bytes | None = note_body
    if "body" in step:
        content = json.dumps(step["body"], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if step.get("body_encoding") == "gzip":
            content = gzip.compress(content)
    elif "body_raw" in step:
        content = step["body_raw"].encode("utf-8")
    return client.request(method, path, headers=headers, content=content)


def matches(expected: Any, actual: Any, exact: bool, where: str = "body") -> list[str]:
    """Differences between an expected value (with matchers) and the actual JSON value."""
    if isinstance(expected, dict) and len(expected) == 2 and "example" in expected:
        (matcher, arg), = ((k, v) for k, v in expected.items() if k != "example")
        if matcher == "$type":
            names = {"string": str, "object": dict, "array": list, "boolean": bool}
            if arg == "null":
                ok = actual is None
            elif arg in ("integer", "number"):
                ok = type(actual) is int or (arg == "number" and type(actual) is float)
            else:
                ok = isinstance(actual, names[arg])
        elif matcher == "$prefix":
            ok = isinstance(actual, str) and actual.startswith(arg)
        else:
            ok = isinstance(actual, str) and re.fullmatch(arg, actual) is not None
        return [] if ok else [f"{where}: {actual!r} does not match {matcher} {arg!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        if exact and set(expected) != set(actual):
            problems.append(f"{where}: keys {sorted(actual)} != {sorted(expected)}")
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += matches(value, actual[key], exact, f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} elements, got {actual!r}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for p in matches(e, a, exact, f"{where}[{i}]")]
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if expected is actual else [f"{where}: {actual!r} != {expected!r}"]
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return [] if expected == actual else [f"{where}: {actual!r} != {expected!r}"]
    return [] if expected == actual else [f"{where}: {actual!r} != {expected!r}"]


def check_response(response: httpx.Response, expected: dict[str, Any], label: str) -> list[str]:
    """Assert status, listed headers, body; plus the rules for every response (README, server tests 6)."""
    problems = []
    if response.status_code != expected["status"]:
        problems.append(f"{label}: status {response.status_code} != {expected['status']}: {response.text[:300]}")
    problems += check_always(response, label)
    for name, value in expected.get("headers_contains", {}).items():
        actual = response.headers.get(name)
        if actual is None:
            problems.append(f"{label}: header {name} missing")
        else:
            problems += matches(value, actual, True, f"{label} header {name}")
    try:
        body = response.json()
    except ValueError:
        return problems
    if "body" in expected:
        problems += matches(expected["body"], body, True, f"{label} body")
    if "body_contains" in expected:
        problems += matches(expected["body_contains"], body, False, f"{label} body")
    return problems


def check_always(response: httpx.Response, label: str) -> list[str]:
    problems = []
    if response.status_code == 500:
        problems.append(f"{label}: 500")
    if response.headers.get("x-wfh-api-version") != "1":
        problems.append(f"{label}: X-Wfh-Api-Version missing")
    try:
        response.json()
    except ValueError:
        problems.append(f"{label}: body is not JSON: {response.text[:100]!r}")
    return problems


def base_time() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
