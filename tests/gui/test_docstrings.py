"""Every public class under ``app/`` and ``ingestion/`` says why it exists, and every class that
declares Qt signals lists them in a ``Signals:`` section (issue 12), so a newcomer never has to
read the emit calls to learn a contract."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (ROOT / "app", ROOT / "ingestion")


def _public_classes() -> list[tuple[str, ast.ClassDef]]:
    found = []
    for path in sorted(p for package in PACKAGES for p in package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", node))
    return found


def _signals(node: ast.ClassDef) -> list[str]:
    return [target.id for statement in node.body if isinstance(statement, ast.Assign)
            and isinstance(statement.value, ast.Call) and getattr(statement.value.func, "id", "") == "Signal"
            for target in statement.targets if isinstance(target, ast.Name) and not target.id.startswith("_")]


def test_every_public_class_has_a_docstring() -> None:
    classes = _public_classes()
    assert len(classes) > 100  # the walk found the code
    assert [name for name, node in classes if not ast.get_docstring(node)] == []


def test_every_class_with_signals_documents_them() -> None:
    undocumented = []
    for name, node in _public_classes():
        signals = _signals(node)
        doc = ast.get_docstring(node) or ""
        if signals and ("Signals" not in doc or any(signal not in doc for signal in signals)):
            undocumented.append(f"{name}: {signals}")
    assert undocumented == []
