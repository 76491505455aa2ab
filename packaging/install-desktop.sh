#!/usr/bin/env bash
# Add the built application (dist/meterbook, from packaging/build.sh) to this user's desktop menu:
# the desktop entry, the icons and the AppStream metadata go under ~/.local/share (or under
# PREFIX/share with PREFIX as the first argument, e.g. /usr/local as root), the entry starting
# this bundle's program. Run again after moving the bundle.
#
#   packaging/install-desktop.sh [PREFIX]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUNDLE="${BUNDLE:-$ROOT/dist/meterbook}"
if [ $# -ge 1 ]; then SHARE="$1/share"; else SHARE="${XDG_DATA_HOME:-$HOME/.local/share}"; fi
SOURCE="$BUNDLE/_internal/share"
if [ ! -x "$BUNDLE/meterbook" ] || [ ! -d "$SOURCE" ]; then
    echo "install-desktop.sh: no built application in $BUNDLE; run packaging/build.sh first" >&2
    exit 1
fi
mkdir -p "$SHARE/applications" "$SHARE/metainfo"
# The entry names the program by its absolute path: the bundle is not on anyone's PATH.
sed "s|^Exec=meterbook|Exec=\"$BUNDLE/meterbook\"|" "$SOURCE/applications/meterbook.desktop" \
    > "$SHARE/applications/meterbook.desktop"
cp "$SOURCE"/metainfo/*.metainfo.xml "$SHARE/metainfo/"
cp -r "$SOURCE/icons" "$SHARE/"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$SHARE/applications" || true
# Refresh the icon cache if there is one (an outdated cache hides new icons; none is fine).
if [ -f "$SHARE/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
fi
echo "installed $SHARE/applications/meterbook.desktop (starts $BUNDLE/meterbook)"
