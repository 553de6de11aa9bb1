"""Categorization rules editor for the Settings dialog, with a live "which rule matches" tester.

Embed: ``editor = RulesEditor(settings.get("monitoring.rules") or DEFAULT_RULES)``; on OK save
``settings.set("monitoring.rules", editor.rules())`` and call ``MonitorAgent.reload_settings()``.
Rules are ordered: the first match wins. Broken rows are marked and skipped by the agent.
Signals: ``rulesChanged()`` after any edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.monitor.categorize import CATEGORIES, DEFAULT_RULES, match_rule, rule_problems

COLUMNS = ("app", "title", "domain", "category", "name")
CATEGORY_COLUMN = 3
HEADER_TIPS = (
    "Regular expression matched against the program name (empty: any app)",
    "Regular expression matched against the window title (empty: any title)",
    "Regular expression matched against the web site's domain (empty: any site)",
    "What time matching this rule counts as",
    "A name for the rule, shown by the tester",
)


class RulesEditor(QWidget):
    """Edits the categorisation rules (regexes per app, title, domain) with per-cell problems and a tester.

    Signals:
        rulesChanged(): the table was edited (and re-checked).
    """

    rulesChanged = Signal()

    def __init__(self, rules: Sequence[Mapping[str, Any]] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(["App (regex)", "Title (regex)", "Domain (regex)", "Category",
                                              "Name"])
        header = self.table.horizontalHeader()
        # patterns share the width; the category and the name keep what their text needs (they were cut)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for column in (CATEGORY_COLUMN, len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column, tip in enumerate(HEADER_TIPS):
            header_item = self.table.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.table.setWordWrap(False)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.defaults_button = QPushButton("Restore defaults")
        self.test_app = QLineEdit()
        self.test_title = QLineEdit()
        self.test_domain = QLineEdit()
        self.result = QLabel("")
        self.result.setObjectName("ruleTestResult")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.defaults_button)
        tester = QFormLayout()
        tester.addRow("Test app:", self.test_app)
        tester.addRow("Test title:", self.test_title)
        tester.addRow("Test domain:", self.test_domain)
        tester.addRow("Result:", self.result)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Rules are checked from the top; the first rule whose patterns all match wins."))
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addLayout(tester)
        self.set_rules(rules if rules is not None else DEFAULT_RULES)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.add_button.clicked.connect(lambda: self._insert_row(self.table.rowCount(), {"category": "neutral"}))
        self.remove_button.clicked.connect(self._remove_selected)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.defaults_button.clicked.connect(lambda: self.set_rules(DEFAULT_RULES))
        self.table.itemChanged.connect(lambda _item: self._changed())
        for edit in (self.test_app, self.test_title, self.test_domain):
            edit.textChanged.connect(lambda _t: self.update_test())

    # ---- data ------------------------------------------------------------------------------
    def set_rules(self, rules: Sequence[Mapping[str, Any]]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for rule in rules:
            self._insert_row(self.table.rowCount(), rule, notify=False)
        self.table.blockSignals(False)
        self._changed()

    def rules(self) -> list[dict[str, str]]:
        out = []
        for row in range(self.table.rowCount()):
            rule: dict[str, str] = {}
            for column, key in enumerate(COLUMNS):
                if column == CATEGORY_COLUMN:
                    combo = self.table.cellWidget(row, column)
                    assert isinstance(combo, QComboBox)
                    rule[key] = combo.currentText()
                    continue
                item = self.table.item(row, column)
                text = item.text().strip() if item else ""
                if text:
                    rule[key] = text
            out.append(rule)
        return out

    def _insert_row(self, row: int, rule: Mapping[str, Any], notify: bool = True) -> None:
        self.table.blockSignals(True)
        self.table.insertRow(row)
        for column, key in enumerate(COLUMNS):
            if column == CATEGORY_COLUMN:
                combo = QComboBox()
                combo.addItems(list(CATEGORIES))
                combo.setCurrentText(str(rule.get("category", "neutral")))
                combo.currentTextChanged.connect(lambda _t: self._changed())
                self.table.setCellWidget(row, column, combo)
            else:
                self.table.setItem(row, column, QTableWidgetItem(str(rule.get(key) or "")))
        self.table.blockSignals(False)
        if notify:
            self._changed()

    def _remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        self._changed()

    def _move(self, delta: int) -> None:
        row = self.table.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.table.rowCount():
            return
        rules = self.rules()
        rules[row], rules[target] = rules[target], rules[row]
        self.set_rules(rules)
        self.table.setCurrentCell(target, 0)

    def _changed(self) -> None:
        self.table.blockSignals(True)
        for row, rule in enumerate(self.rules()):
            problems = rule_problems(rule)
            for column in range(len(COLUMNS)):
                item = self.table.item(row, column)
                if item is None:
                    continue
                item.setBackground(QColor("#ffcdd2") if problems else QColor(Qt.GlobalColor.transparent))
                item.setToolTip("; ".join(problems) or item.text())  # a long pattern can be read whole
        self.table.blockSignals(False)
        self.update_test()
        self.rulesChanged.emit()

    # ---- tester ----------------------------------------------------------------------------
    def update_test(self) -> str:
        app, title, domain = self.test_app.text(), self.test_title.text(), self.test_domain.text() or None
        if not (app or title or domain):
            self.result.setText("Type an app, title or domain to see which rule matches.")
            return self.result.text()
        found = match_rule(self.rules(), app, title, domain)
        if found is None:
            text = "No rule matches → neutral"
        else:
            name = f" ({found.name})" if found.name else ""
            text = f"Rule {found.index + 1}{name} → {found.category}"
        self.result.setText(text)
        return text
