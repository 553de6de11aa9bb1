"""Helper process for the single-instance tests: ``python -m tests.ops.instance_child DATA_DIR``.

Prints ``owner`` or ``second`` after ``acquire()``; an owner prints ``activated`` and exits when
another launch asks it to show itself (or after 20 s, so a failed test never leaves it behind).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QTimer

from app.paths import resolve_paths
from app.single_instance import SingleInstance


def main() -> int:
    app = QCoreApplication(sys.argv[:1])
    guard = SingleInstance(resolve_paths(sys.argv[1]))
    if not guard.acquire():
        print("second", flush=True)
        return 0
    print("owner", flush=True)

    def activated() -> None:
        print("activated", flush=True)
        app.quit()

    guard.activationRequested.connect(activated)
    QTimer.singleShot(20_000, app.quit)
    app.exec()
    guard.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
