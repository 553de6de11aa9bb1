"""One description per stream (``validation.STREAMS``): the SQL columns the batch insert casts to, the
natural keys aggregates upsert on and the OpenAPI models are all derived from it. These checks hold the
description against what it must agree with: the tables the migrations create, and the validator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from ingestion.schemas import RECORD_MODELS, ScreenshotMeta
from ingestion.validation import SCREENSHOT_META, STREAMS, Clock, Reject, validate_record
from tests.server.records import heartbeat, website_usage
from tests.support.pg import SCHEMA, connect

UDT = {"real": "float4", "boolean": "bool"}  # PostgreSQL's internal names of the types we cast to


def _table_columns(url: str, table: str) -> dict[str, str]:
    with connect(url) as conn:
        rows = conn.execute("SELECT column_name, udt_name FROM information_schema.columns"
                            " WHERE table_schema = %s AND table_name = %s", (SCHEMA, table)).fetchall()
    return {name: udt for name, udt in rows}


@pytest.mark.parametrize("stream", list(STREAMS.values()), ids=lambda s: s.name)
def test_sql_types_match_the_migrated_tables(pg_url: str, stream: Any) -> None:
    """The batch insert casts each column to this type (screenshots have their own insert: hex → bytea)."""
    table = _table_columns(pg_url, stream.table)
    assert table, f"no table {stream.table}"
    for column, sql_type in stream.columns:
        assert table.get(column) == UDT.get(sql_type, sql_type), (stream.name, column)


@pytest.mark.parametrize("stream", [s for s in STREAMS.values() if s.aggregate], ids=lambda s: s.name)
def test_natural_keys_are_unique_indexes(pg_url: str, stream: Any) -> None:
    with connect(pg_url) as conn:
        indexes = [r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s"
                                              " AND tablename = %s", (SCHEMA, stream.table))]
    wanted = f"({', '.join(('device_id', *stream.natural_key))})"
    assert any("UNIQUE" in index and index.endswith(wanted) for index in indexes), indexes


@pytest.mark.parametrize("name", list(STREAMS))
def test_models_have_the_validators_fields(name: str) -> None:
    stream = STREAMS[name]
    model = RECORD_MODELS[name]
    assert model.__name__ == stream.model
    assert list(model.model_fields) == [stream.fields[0].name, "emp_id", *(f.name for f in stream.fields[1:])]
    required = {f.name for f in stream.fields if not f.nullable}
    assert {n for n, info in model.model_fields.items() if info.is_required()} == required
    meta = SCREENSHOT_META.fields
    assert list(ScreenshotMeta.model_fields) == [meta[0].name, "emp_id", *(f.name for f in meta[1:])]


@pytest.mark.parametrize("name", ["heartbeats", "website_usage"])
def test_model_and_validator_accept_and_refuse_the_same_bounds(name: str) -> None:
    record = heartbeat() if name == "heartbeats" else website_usage()
    field = "cpu_percent" if name == "heartbeats" else "duration_seconds"
    clock = Clock.at()
    validate_record(STREAMS[name], record, clock)
    RECORD_MODELS[name].model_validate_json(_json(record))
    record[field] = 101 if name == "heartbeats" else 86_401
    with pytest.raises(Reject):
        validate_record(STREAMS[name], record, clock)
    with pytest.raises(ValidationError):
        RECORD_MODELS[name].model_validate_json(_json(record))


def _json(record: dict[str, Any]) -> str:
    return json.dumps(record)
