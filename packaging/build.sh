#!/usr/bin/env bash
# Build Meterbook as a one-folder application in dist/meterbook/ (the program is
# dist/meterbook/meterbook).
#
#   packaging/build.sh            # from anywhere; needs the app's dependencies and PyInstaller
#                                 # (pip install -e ".[package]")
#
# The build's scratch files go to build/pyinstaller/. Run the built program's checks with
# packaging/check_bundle.sh, and add it to the desktop menu with packaging/install-desktop.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: PyInstaller is missing; install it with: pip install -e \".[package]\"" >&2
    exit 1
fi
# Modules of a source checkout come from src/, never from an older installed copy.
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath "$ROOT/dist" \
    --workpath "$ROOT/build/pyinstaller" "$ROOT/packaging/meterbook.spec"
echo "built $ROOT/dist/meterbook ($(du -sh "$ROOT/dist/meterbook" | cut -f1))"
