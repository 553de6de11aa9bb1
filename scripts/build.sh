#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/wfh-agent/ with the Python this script is run with:
#   PYTHON=/path/to/python scripts/build.sh   (default: .venv/bin/python when present, else python3)
# PyInstaller comes from the project's [dev] extra, where its version is pinned.
# Prints the bundle's size at the end. ONEFILE=1 builds a single executable instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
if [[ "$(uname -s)" == Linux ]]; then  # PyInstaller's documented requirements on GNU/Linux
    for tool in ldd objdump objcopy; do
        command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (apt-get install binutils libc-bin)" >&2; exit 3; }
    done
fi
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "== installing the [dev] extra (PyInstaller) into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install --quiet -e '.[dev]'
fi
echo "== PyInstaller $("$PYTHON" -m PyInstaller --version) with $("$PYTHON" --version)"
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN build.spec
if [[ "${ONEFILE:-}" == "1" ]]; then
    ls -l dist/wfh-agent*
else
    echo "== bundle: dist/wfh-agent/ $(du -sh dist/wfh-agent | cut -f1) ($(find dist/wfh-agent -type f | wc -l) files)"
fi
