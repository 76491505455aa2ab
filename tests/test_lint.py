"""The code base stays ruff-clean (configured in pyproject.toml), and Qt stays in the app
(import cycles and layers: test_import_cycles.py)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.fail("ruff is not installed: pip install -e '.[test]'")
    result = subprocess.run([ruff, "check", "src", "tests", "benchmarks"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_qt_stays_in_the_app():
    """Qt only under app/: the core, the store, the importers and the reports run without a
    display (the CLI, tests, a server). A PDF writer in reports/ (a module named pdf*.py) may
    use Qt to draw its pages, should it need to; nothing else there may."""
    src = ROOT / "src" / "meterbook"
    offenders = [str(p.relative_to(ROOT)) for folder in ("core", "store", "importers", "reports")
                 for p in (src / folder).rglob("*.py")
                 if "PySide6" in p.read_text(encoding="utf-8")
                 and not (folder == "reports" and p.name.startswith("pdf"))]
    assert offenders == []
