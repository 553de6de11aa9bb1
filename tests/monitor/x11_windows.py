"""Helper process for X11 tests: opens one Qt window per title given on the command line.

Qt sets ``_NET_WM_PID`` and ``_NET_WM_NAME``, like real applications. Prints "ready" once shown.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QWidget


def main() -> int:
    app = QApplication(sys.argv[:1])
    windows = []
    for index, title in enumerate(sys.argv[1:]):
        window = QWidget()
        window.setWindowTitle(title)
        window.setGeometry(50 + 100 * index, 50 + 80 * index, 400, 300)
        window.show()
        windows.append(window)
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
