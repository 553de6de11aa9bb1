"""BackgroundTask, the one way off the GUI thread: results come back queued, and an owner that goes away
while the work runs (a dialog closed early) does not take the running thread with it."""

from __future__ import annotations

import gc
import threading
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread

from app.errors import StorageError
from app.ui.background import BackgroundTask, SerialWriter, wait_for_background_tasks


def test_result_and_known_failure_arrive_on_the_gui_thread(qtbot: Any) -> None:
    seen: list[bool] = []
    task = BackgroundTask(lambda control: (control.progress(1, 1), 42)[1])
    task.finished.connect(lambda _r: seen.append(threading.current_thread() is threading.main_thread()))
    with qtbot.waitSignal(task.finished, timeout=5000) as blocker:
        task.start()
    assert blocker.args == [42] and seen == [True]

    def fail(_control: Any) -> None:
        raise StorageError("the disk is full")

    failing = BackgroundTask(fail)
    with qtbot.waitSignal(failing.failed, timeout=5000) as blocker:
        failing.start()
    assert blocker.args == ["the disk is full"]
    assert failing.wait(5000)


def test_owner_deleted_while_the_work_runs(qtbot: Any) -> None:
    release, ran_to_end = threading.Event(), threading.Event()

    def slow(_control: Any) -> None:
        release.wait(10)
        ran_to_end.set()

    app = QCoreApplication.instance()
    before = len(app.findChildren(QThread))
    owner = QObject()
    task = BackgroundTask(slow, owner)
    task.start()
    assert len(app.findChildren(QThread)) == before + 1
    del task
    owner.deleteLater()
    del owner
    qtbot.wait(50)
    gc.collect()  # before the fix the QThread was destroyed here, still running: Qt aborts the process
    release.set()
    assert ran_to_end.wait(5)
    qtbot.waitUntil(lambda: len(app.findChildren(QThread)) == before, timeout=5000)  # finished, then deleted


def test_serial_writer_runs_jobs_in_order_on_one_thread_and_ends_with_at_end(qtbot: Any) -> None:
    ends: list[int] = []
    writer = SerialWriter(at_end=lambda: ends.append(threading.get_ident()))
    release = threading.Event()
    ran: list[tuple[str, int]] = []

    def job(name: str, wait: bool) -> Any:
        def run(_control: Any) -> str:
            if wait:
                release.wait(10)
            ran.append((name, threading.get_ident()))
            return name
        return run

    tasks = [writer.submit(job(name, name == "first")) for name in ("first", "second", "third")]
    for task in tasks:
        task.start()
    assert all(task.is_running() for task in tasks)  # queued counts as running: Cancel must still work
    with qtbot.waitSignal(tasks[-1].finished, timeout=5000) as last:
        release.set()
    assert last.args == ["third"]
    assert [name for name, _ in ran] == ["first", "second", "third"]
    threads = {ident for _, ident in ran}
    assert len(threads) == 1 and threading.main_thread().ident not in threads
    assert writer.stop(5000)
    assert ends == [*threads]  # the writer thread's connection is closed on that thread
    assert not any(task.is_running() for task in tasks)


def test_stopping_the_writer_while_a_job_runs_still_runs_the_queued_ones_and_at_end(qtbot: Any) -> None:
    """stop() during a job: the jobs queued after it and ``at_end`` still run, then the thread ends (a
    quit() from outside ended the loop after the running job, dropping the rest)."""
    ends: list[int] = []
    writer = SerialWriter(at_end=lambda: ends.append(threading.get_ident()))
    release = threading.Event()
    ran: list[int] = []
    first = writer.submit(lambda _control: (release.wait(10), ran.append(threading.get_ident())))
    second = writer.submit(lambda _control: ran.append(threading.get_ident()))
    first.start()
    second.start()
    # The first job is released only once stop() is waiting; if the timer fired before stop() began,
    # the test would pass without exercising the race, never fail spuriously.
    threading.Timer(0.3, release.set).start()
    assert writer.stop(5000)
    assert len(ran) == 2 and ends == ran[:1] and threading.main_thread().ident not in ran


def test_wait_for_background_tasks_waits_for_a_running_function(qtbot: Any) -> None:
    release, done = threading.Event(), threading.Event()
    task = BackgroundTask(lambda _control: (release.wait(10), done.set()))
    task.start()
    assert not wait_for_background_tasks(50)
    release.set()
    assert wait_for_background_tasks(5000) and done.is_set()
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
