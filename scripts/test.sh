#!/usr/bin/env bash
# Install the test dependencies into .venv and run the whole suite: lint, types, tests.
# System packages (Xvfb, Qt's xcb libraries, PostgreSQL) come from .ci/run or the README.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet -e '.[dev,server]'
echo "== ruff"
.venv/bin/ruff check .
echo "== import layers"
.venv/bin/lint-imports
echo "== mypy"
.venv/bin/mypy app ingestion
echo "== pytest"
.venv/bin/python -m pytest "$@"
