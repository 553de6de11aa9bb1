#!/usr/bin/env bash
# Install a built bundle for the current user (no root): the app under ~/.local/opt/wfh-agent,
# a wfh-agent launcher in ~/.local/bin, the .desktop file and the hicolor icons.
#   scripts/build.sh && packaging/linux/install.sh            (uninstall: install.sh --uninstall)
# PREFIX=/opt DATA=/usr/share BIN=/usr/local/bin sudo -E packaging/linux/install.sh  for all users.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PREFIX="${PREFIX:-$HOME/.local/opt}"
DATA="${DATA:-${XDG_DATA_HOME:-$HOME/.local/share}}"
BIN="${BIN:-$HOME/.local/bin}"
SIZES="16 24 32 48 64 128 256"

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -rf "$PREFIX/wfh-agent" "$BIN/wfh-agent" "$DATA/applications/wfh-agent.desktop"
    for s in $SIZES; do rm -f "$DATA/icons/hicolor/${s}x${s}/apps/wfh-agent.png"; done
    echo "removed (your data and settings are kept)"
    exit 0
fi

[[ -x "$ROOT/dist/wfh-agent/wfh-agent" ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
mkdir -p "$PREFIX" "$BIN" "$DATA/applications"
rm -rf "$PREFIX/wfh-agent"
cp -a "$ROOT/dist/wfh-agent" "$PREFIX/wfh-agent"
ln -sf "$PREFIX/wfh-agent/wfh-agent" "$BIN/wfh-agent"
sed "s|^Exec=.*|Exec=$PREFIX/wfh-agent/wfh-agent|; s|^TryExec=.*|TryExec=$PREFIX/wfh-agent/wfh-agent|" \
    "$ROOT/packaging/linux/wfh-agent.desktop" > "$DATA/applications/wfh-agent.desktop"
for s in $SIZES; do
    install -D -m 0644 "$ROOT/resources/icons/app/wfh-agent-$s.png" "$DATA/icons/hicolor/${s}x${s}/apps/wfh-agent.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "installed: $PREFIX/wfh-agent (launcher $BIN/wfh-agent)"
