"""Log files rotate, honour the level, and never contain secrets; crash hooks log and report."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

import pytest

from app import crash, logging_setup
from app.paths import resolve_paths

KEY = "wfh_AbCd1234_" + "s3cr3t-Secret_value-0123456789abcdefXYZ"


@pytest.fixture
def log_paths(data_dir: Path):
    paths = resolve_paths(data_dir)
    yield paths
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_wfh_agent", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.WARNING)


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_secrets_never_reach_the_file(log_paths) -> None:
    path = logging_setup.setup_logging(log_paths, "DEBUG")
    log = logging.getLogger("app.sync.client")
    log.info("using key %s for %s", KEY, "https://example.test")
    log.warning("request headers: {'X-Api-Key': '%s', 'Accept': 'application/json'}", KEY)
    log.error("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789")
    log.debug("x-api-key=%s", "plainsecretvalue123")
    try:
        raise RuntimeError(f"server refused key {KEY}")
    except RuntimeError:
        log.exception("upload failed")
    _flush()
    text = path.read_text(encoding="utf-8")
    assert "s3cr3t" not in text and "plainsecretvalue123" not in text
    assert "abcdefghijklmnopqrstuvwxyz" not in text
    assert "wfh_AbCd1234_***" in text  # the public prefix stays, as the contract asks
    assert "https://example.test" in text and "'Accept': 'application/json'" in text
    assert "RuntimeError" in text  # tracebacks are kept, only scrubbed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_level_from_settings_and_rotation(log_paths) -> None:
    path = logging_setup.setup_logging(log_paths, "warning", max_bytes=2_000, backup_count=3)
    log = logging.getLogger("app.test")
    log.info("hidden info line")
    for i in range(200):
        log.warning("line %03d %s", i, "x" * 40)
    _flush()
    files = sorted(p.name for p in log_paths.log_dir.iterdir())
    assert files == ["wfh-agent.log", "wfh-agent.log.1", "wfh-agent.log.2", "wfh-agent.log.3"]
    assert all(p.stat().st_size <= 2_100 for p in log_paths.log_dir.iterdir())
    assert "hidden info line" not in "".join(p.read_text() for p in log_paths.log_dir.iterdir())
    assert "line 199" in path.read_text()
    logging_setup.set_level("bogus")
    assert logging.getLogger().level == logging.INFO


def test_setup_is_idempotent(log_paths) -> None:
    logging_setup.setup_logging(log_paths)
    logging_setup.setup_logging(log_paths)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_wfh_agent", False)]
    assert len(ours) == 1


def test_redact_unit() -> None:
    assert logging_setup.redact(f"k={KEY}.") == "k=wfh_AbCd1234_***."
    assert logging_setup.redact('"Authorization": "Basic dXNlcjpwYXNz"') == '"Authorization": "***"'
    assert logging_setup.redact("nothing secret here") == "nothing secret here"


def test_excepthook_logs_and_shows_a_dialog(qtbot, log_paths, monkeypatch) -> None:
    path = logging_setup.setup_logging(log_paths)
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(crash.CrashDialog, "exec", lambda self: shown.append((self.windowTitle(), self.details)))
    crash.install()
    try:
        try:
            raise ValueError(f"bad thing with {KEY}")
        except ValueError as exc:
            crash._excepthook(type(exc), exc, exc.__traceback__)
        assert shown and "ValueError" in shown[0][1] and "s3cr3t" not in shown[0][1]

        def worker() -> None:
            raise KeyError("from a worker")

        assert crash._reporter is not None
        with qtbot.waitSignal(crash._reporter.crashed, timeout=5_000):
            thread = threading.Thread(target=worker, name="sync-worker")
            thread.start()
            thread.join(5)
        qtbot.waitUntil(lambda: len(shown) == 2, timeout=5_000)
        assert "sync-worker" in shown[1][1]
    finally:
        crash.uninstall()
    _flush()
    text = path.read_text()
    assert "unhandled exception" in text and "KeyError" in text and "s3cr3t" not in text


def test_copy_details_puts_text_on_the_clipboard(qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    dialog = crash.CrashDialog("ValueError: x", "the details")
    qtbot.addWidget(dialog)
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == "the details"
    assert dialog.isVisible() is False  # copying does not close or open anything


def test_backoff_delay() -> None:
    assert [crash.backoff_delay(n, 1, 10) for n in range(6)] == [0, 1, 2, 4, 8, 10]


def test_restart_with_backoff_restarts_until_success() -> None:
    stop = threading.Event()
    runs: list[int] = []
    crashes: list[int] = []

    def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("boom")

    thread = crash.restart_with_backoff(flaky, name="flaky", stop=stop, base=0.01, cap=0.02,
                                        on_crash=lambda n, _exc: crashes.append(n))
    thread.join(5)
    assert not thread.is_alive() and len(runs) == 3 and crashes == [1, 2]


def test_restart_with_backoff_stops_promptly() -> None:
    stop = threading.Event()
    crashed = threading.Event()

    def always_fails() -> None:
        crashed.set()
        raise RuntimeError("down")

    thread = crash.restart_with_backoff(always_fails, name="down", stop=stop, base=60)
    assert crashed.wait(5)
    stop.set()
    thread.join(2)
    assert not thread.is_alive()


def test_unwritable_log_folder_falls_back_to_stderr(log_paths, tmp_path: Path, capsys) -> None:
    """A read-only log folder once killed the window with an OSError traceback on stderr."""
    import dataclasses

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    paths = dataclasses.replace(log_paths, log_dir=blocker / "logs")
    assert logging_setup.setup_logging(paths, "INFO") is None
    logging.getLogger("app.test").warning("still logged")
    _flush()
    err = capsys.readouterr().err
    assert f"the log folder {blocker / 'logs'} cannot be written" in err and "logging to stderr instead" in err
    assert "still logged" in err and "Traceback" not in err
