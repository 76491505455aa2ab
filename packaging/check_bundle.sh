#!/usr/bin/env bash
# Build the one-folder application and use it as a person would, from the bundle alone:
# `--version`, `demo`, `cost`, an import of a small CSV, and the app's pages as screenshots
# (headless). Each output is checked; the first failure stops the script with status 1.
#
#   packaging/check_bundle.sh               # build (packaging/build.sh), then check
#   packaging/check_bundle.sh --no-build    # check dist/meterbook as it is
#
# The bundle runs with no PYTHONPATH, in a scratch HOME, and without the system's time zones
# (PYTHONTZPATH=""), so it shows what it holds itself: the modules, the catalog, the
# migrations, the icons and the tzdata package.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BUNDLE="$ROOT/dist/meterbook"
PROGRAM="$BUNDLE/meterbook"

fail() { echo "check_bundle: FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
seconds() { "$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$@"; }

if [ "${1:-}" != "--no-build" ]; then
    start=$(now)
    bash "$ROOT/packaging/build.sh"
    echo "check_bundle: build took $(seconds "$start" "$(now)") s"
fi
[ -x "$PROGRAM" ] || fail "no program at $PROGRAM (build it with packaging/build.sh)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# The bundle alone: nothing from the source tree, no user's settings, no system time zones.
run() {
    env -u PYTHONPATH -u PYTHONHOME -u METERBOOK_DB HOME="$WORK/home" \
        XDG_DATA_HOME="$WORK/home/data" XDG_CONFIG_HOME="$WORK/home/config" \
        XDG_CACHE_HOME="$WORK/home/cache" PYTHONTZPATH="" QT_QPA_PLATFORM=offscreen \
        "$PROGRAM" "$@"
}
expect() {  # expect NAME TEXT FILE: the file holds TEXT (a whole line, as written)
    grep -qxF -- "$2" "$3" || { echo "--- $3:" >&2; cat "$3" >&2; fail "$1: no line '$2'"; }
}

# 1. --version, as the package says.
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$ROOT/src/meterbook/__init__.py")
start=$(now)
run --version > "$WORK/version.txt" || fail "--version exited with $?"
version_time=$(seconds "$start" "$(now)")
expect "--version" "meterbook $version" "$WORK/version.txt"

# 2. demo: a fresh demo database (migrations, catalog plans, importers, pricing).
run --db "$WORK/demo.db" demo > "$WORK/demo.txt" 2>&1 || { cat "$WORK/demo.txt" >&2; fail "demo"; }
grep -q "^Demo data" "$WORK/demo.txt" || fail "demo said: $(cat "$WORK/demo.txt")"

# 3. cost of the demo: the bundle's figures are the source tree's, byte for byte.
run --db "$WORK/demo.db" --tz UTC cost --format csv > "$WORK/cost.csv" || fail "cost"
PYTHONPATH="$ROOT/src" "$PYTHON" -m meterbook --db "$WORK/demo.db" --tz UTC cost --format csv \
    > "$WORK/cost-source.csv" || fail "cost from the source tree"
cmp -s "$WORK/cost.csv" "$WORK/cost-source.csv" \
    || { diff "$WORK/cost-source.csv" "$WORK/cost.csv" >&2; fail "cost differs from the source's"; }
grep -q "^total," "$WORK/cost.csv" || fail "cost has no total line: $(cat "$WORK/cost.csv")"

# 4. An import of a small CSV, priced with a plan of the bundled catalog, by month in Berlin:
# 23:30 UTC on 30 November is 00:30 on 1 December there, so each line has its own month.
# Without the bundled tzdata (PYTHONTZPATH is empty) Europe/Berlin would be refused.
cat > "$WORK/small.csv" <<'CSV'
timestamp,vendor,model,requests,input_tokens,output_tokens,billed_cost,currency
2026-11-20T10:00:00Z,openai,gpt-6.2-sol,1,200,20,2.50,USD
2026-11-30T23:30:00Z,openai,gpt-6.2-sol,1,100,10,1.25,USD
CSV
run --db "$WORK/small.db" import "$WORK/small.csv" > "$WORK/import.txt" 2>&1 \
    || { cat "$WORK/import.txt" >&2; fail "import"; }
expect "import" "small.csv (canonical): 2 lines, added 2 as batch 1, 0 already imported, 0 refused" \
    "$WORK/import.txt"
run --db "$WORK/small.db" plans add-from-catalog "OpenAI GPT-6.2 Sol" > "$WORK/catalog.txt" \
    || fail "plans add-from-catalog"
berlin() { run --db "$WORK/small.db" --tz Europe/Berlin cost --format csv "$@"; }
berlin > "$WORK/billed.csv" || fail "cost of the import"
expect "billed cost in Berlin" "2026-11,1,200,0,0,20,0,2.500000000,0,2.500000000,0" "$WORK/billed.csv"
expect "billed cost in Berlin" "2026-12,1,100,0,0,10,0,1.250000000,0,1.250000000,0" "$WORK/billed.csv"
# The catalog's price: 2.00 per million input tokens, 10.00 per million output tokens.
# November: 200 x 2.00/1e6 + 20 x 10.00/1e6 = 0.0004 + 0.0002 = 0.0006
# December: 100 x 2.00/1e6 + 10 x 10.00/1e6 = 0.0002 + 0.0001 = 0.0003
berlin --source computed > "$WORK/computed.csv" || fail "computed cost of the import"
expect "computed cost" "2026-11,1,200,0,0,20,0,0.000600000,0,0.000600000,0" "$WORK/computed.csv"
expect "computed cost" "2026-12,1,100,0,0,10,0,0.000300000,0,0.000300000,0" "$WORK/computed.csv"

# 5. The app, headless: one 1280x800 PNG per page, icons and all, and nothing on stderr
# but Qt's note that the offscreen platform does not size windows by hints.
start=$(now)
run --db "$WORK/demo.db" gui --screenshot "$WORK/shots" > "$WORK/gui.txt" 2>&1 &
gui=$!
# Start time as a person sees it: from the command to the first page drawn.
until compgen -G "$WORK/shots/*.png" >/dev/null || ! kill -0 "$gui" 2>/dev/null; do sleep 0.05; done
first_time=$(seconds "$start" "$(now)")
wait "$gui" || { cat "$WORK/gui.txt" >&2; fail "gui --screenshot"; }
screenshot_time=$(seconds "$start" "$(now)")
if grep -v "does not support propagateSizeHints" "$WORK/gui.txt" | grep -q .; then
    cat "$WORK/gui.txt" >&2
    fail "gui --screenshot printed messages"
fi
"$PYTHON" - "$WORK/shots" "$ROOT/src/meterbook/app/window.py" <<'PY' || fail "screenshots"
import re, struct, sys
from pathlib import Path

shots = sorted(Path(sys.argv[1]).glob("*.png"))
# One page per entry of PAGES in window.py (each is a class ending in "Page").
block = re.search(r"^PAGES\b[^=]*=\s*\((.*?)^\)", Path(sys.argv[2]).read_text(), re.S | re.M)
pages = len(re.findall(r"\b\w+Page\b", block.group(1))) if block else 0
if not shots or (pages and len(shots) != pages):
    sys.exit(f"{len(shots)} screenshots for {pages} pages")
for shot in shots:
    data = shot.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or struct.unpack(">II", data[16:24]) != (1280, 800):
        sys.exit(f"{shot.name} is no 1280x800 PNG")
    if len(data) < 20_000:  # an empty grey window compresses to a few kB
        sys.exit(f"{shot.name} is nearly empty ({len(data)} bytes)")
print(f"check_bundle: {len(shots)} screenshots, 1280x800")
PY

# Nothing went wrong unseen: an unexpected error anywhere above would be in the log file.
LOG="$WORK/home/data/Meterbook/logs/meterbook.log"
if [ -s "$LOG" ]; then cat "$LOG" >&2; fail "unexpected errors were logged"; fi

# 6. The desktop entry and AppStream metadata the bundle ships (for install-desktop.sh) validate.
SHARE="$BUNDLE/_internal/share"
[ -f "$SHARE/icons/hicolor/512x512/apps/meterbook.png" ] || fail "no 512x512 icon in $SHARE/icons"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$SHARE/applications/meterbook.desktop" || fail "desktop entry"
fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net "$SHARE"/metainfo/*.metainfo.xml > "$WORK/appstream.txt" 2>&1 \
        || { cat "$WORK/appstream.txt" >&2; fail "AppStream metadata"; }
fi

echo "check_bundle: all passed. bundle $(du -sh "$BUNDLE" | cut -f1);" \
     "--version in ${version_time} s; first page drawn in ${first_time} s," \
     "all ${screenshot_time} s"
