"""The serializer's records validate against the live server's ``/openapi.json`` component schemas
(contract/README.md, Client tests: "Where the server's /openapi.json is available…"). A small
validator for the JSON-Schema subset pydantic emits keeps the test free of extra dependencies."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from app.sync import outbox
from tests.e2e.conftest import E2E
from tests.sync.replay import CONTRACT_DIR, STREAM_PATH, load, seed_screenshot, seed_vector_records, vector_screenshot

SCHEMAS = {"heartbeats": "HeartbeatRecord", "timeline": "TimelineRecord", "website_usage": "WebsiteUsageRecord",
           "productivity": "ProductivityRecord", "wellness": "WellnessRecord", "screenshots": "ScreenshotMeta"}
TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def problems(value: Any, schema: dict[str, Any], defs: dict[str, Any], where: str = "") -> list[str]:
    if "$ref" in schema:
        return problems(value, defs[schema["$ref"].rsplit("/", 1)[1]], defs, where)
    if "anyOf" in schema:
        options = [problems(value, option, defs, where) for option in schema["anyOf"]]
        return [] if any(not p for p in options) else [f"{where}: matches no anyOf option"]
    kind = schema.get("type")
    if kind == "null":
        return [] if value is None else [f"{where}: not null"]
    if kind == "integer":
        ok = type(value) is int
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind:
        ok = isinstance(value, TYPES[kind]) and not (kind != "boolean" and isinstance(value, bool))
    else:
        ok = True
    if not ok:
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    found = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: not in enum")
    if "minimum" in schema and value < schema["minimum"] or "maximum" in schema and value > schema["maximum"]:
        found.append(f"{where}: out of range")
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", 10**9) or len(value) < schema.get("minLength", 0):
            found.append(f"{where}: length")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{where}: pattern")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{where}.{name}: missing")
        for name, item in value.items():
            if name not in props:
                if schema.get("additionalProperties") is False:
                    found.append(f"{where}.{name}: extra")
                continue
            found += problems(item, props[name], defs, f"{where}.{name}")
    return found


@pytest.mark.parametrize("stream", list(SCHEMAS))
def test_serialized_records_match_server_schema(e2e: E2E, stream: str) -> None:
    defs = httpx.get(f"{e2e.server.url}/openapi.json", timeout=10).json()["components"]["schemas"]
    if stream == "screenshots":
        meta, content = vector_screenshot(load(CONTRACT_DIR / "screenshots_new.json"))
        seed_screenshot(e2e.conn, e2e.profile.paths.data_dir, meta, content)
    else:
        vector = load(CONTRACT_DIR / f"{stream}_valid.json")
        assert STREAM_PATH.match(vector["request"]["path"]).group(1) == stream
        seed_vector_records(e2e.conn, stream, vector["request"]["body"]["records"])
    batch = outbox.fetch_batch(e2e.conn, stream, 50)
    assert batch
    for row in batch:
        record = json.loads(outbox.serialize([row.record]))["records"][0]
        assert problems(record, defs[SCHEMAS[stream]], defs, stream) == []
        assert problems({**record, "unknown": 1}, defs[SCHEMAS[stream]], defs, stream)  # the check can fail
