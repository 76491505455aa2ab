"""The application bundle's parts, checked without building it (packaging/check_bundle.sh builds
and runs it): the desktop entry and AppStream metadata validate, the resource helper finds every
resource installed, in a checkout and in a bundle's layout, and the spec bundles every module
that is loaded by name."""

from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import meterbook.core.resources as resources
from meterbook.cli import build_parser
from meterbook.core.catalog import catalog_path
from meterbook.core.resources import RESOURCES, resource_path
from meterbook.importers import formats

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / "meterbook.desktop"
METAINFO = PACKAGING / "io.github.meterbook.Meterbook.metainfo.xml"


def _load(name: str):
    """A module of packaging/ (not a package: its name would hide the `packaging` library)."""
    spec = importlib.util.spec_from_file_location(f"meterbook_packaging_{name}",
                                                  PACKAGING / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


contents = _load("contents")


def _validator(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install "
                    f"{'desktop-file-utils' if name.startswith('desktop') else 'appstream'})")
    return found


# --- the desktop entry and the AppStream metadata ------------------------------------------


def test_the_desktop_entry_is_valid():
    result = subprocess.run([_validator("desktop-file-validate"), str(DESKTOP)],
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    # Hints are advice; errors and warnings make the entry invalid for a desktop.
    assert result.returncode == 0, output
    assert [line for line in output.splitlines() if "error" in line or "warning" in line] == []


def test_the_desktop_entry_starts_a_command_meterbook_accepts():
    # "Exec=meterbook %F" once handed the menu's files to meterbook as a command name, which
    # it refuses: the entry must start the app with arguments the command line takes.
    entry = dict(line.split("=", 1) for line in DESKTOP.read_text().splitlines() if "=" in line)
    program, *arguments = entry["Exec"].split()
    assert program == "meterbook"
    assert not any(a.startswith("%") for a in arguments)  # no files or URLs passed
    assert build_parser().parse_args(arguments).command == "gui"
    assert entry["Icon"] == "meterbook"  # the name make_icons.py gives the icon files


def test_the_metainfo_is_valid_and_names_the_desktop_entry():
    result = subprocess.run([_validator("appstreamcli"), "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = METAINFO.read_text()
    assert f'<launchable type="desktop-id">{DESKTOP.name}</launchable>' in text
    assert "<id>io.github.meterbook.Meterbook</id>" in text


# --- the resource helper ------------------------------------------------------------------


def _check_every_resource(inside: Path) -> None:
    """Each resource is found under `inside` and holds what the app needs of it."""
    for name in RESOURCES:
        assert inside in resource_path(name).parents, name
    assert {p.name for p in resource_path("catalog").glob("*.toml")} == {
        "anthropic.toml", "deepseek.toml", "google.toml", "mistral.toml", "openai.toml",
        "services.toml"}
    assert (resource_path("icons") / "dashboard.svg").is_file()
    assert resource_path("app-icon").read_text().startswith("<svg")
    migrations = resource_path("migrations")
    assert (migrations / "env.py").is_file()
    assert (migrations / "script.py.mako").is_file()
    assert (migrations / "versions" / "0001_initial.py").is_file()


def test_every_resource_is_found_in_the_source_checkout():
    _check_every_resource(ROOT)
    # The catalog is read from the repository's resources/ folder, not from a stale copy.
    assert resource_path("catalog") == ROOT / "resources" / "catalog"
    assert catalog_path() == ROOT / "resources" / "catalog"


def test_every_resource_is_found_in_an_installed_wheel(tmp_path, monkeypatch):
    # The wheel holds the repository's resources/ at meterbook/resources (pyproject's
    # force-include) and the package's own files at their places.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    force = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert force == {"resources": "meterbook/resources"}
    package = tmp_path / "site-packages" / "meterbook"
    shutil.copytree(ROOT / "resources", package / "resources")
    shutil.copytree(ROOT / "src" / "meterbook", package,
                    ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    monkeypatch.setattr(resources, "_PACKAGE", package)
    _check_every_resource(package)


def _lay_out_bundle(folder: Path) -> None:
    """The spec's data files where PyInstaller puts them: (file, folder) pairs under the
    bundle's _internal folder (sys._MEIPASS)."""
    for source, target in contents.data_files():
        (folder / target).mkdir(parents=True, exist_ok=True)
        shutil.copy(source, folder / target)


def test_every_resource_is_found_in_the_bundle_layout(tmp_path, monkeypatch):
    _lay_out_bundle(tmp_path / "_internal")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    _check_every_resource(tmp_path / "_internal" / "meterbook")
    # Every migration the source has is in the bundle (none forgotten by a hand-kept list).
    source = sorted(p.name for p in (ROOT / "src/meterbook/store/migrations/versions").glob("*.py"))
    bundled = sorted(p.name for p in (resource_path("migrations") / "versions").glob("*.py"))
    assert bundled == source


def test_a_bundle_missing_a_resource_says_so_instead_of_reading_the_checkout(tmp_path,
                                                                              monkeypatch):
    _lay_out_bundle(tmp_path)
    shutil.rmtree(tmp_path / "meterbook" / "resources" / "catalog")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(FileNotFoundError) as error:
        resource_path("catalog")
    assert str(error.value) == (f"Meterbook's catalog is missing (looked in "
                                f"{tmp_path / 'meterbook' / 'resources' / 'catalog'})")


# --- what the spec bundles ----------------------------------------------------------------


def test_the_spec_bundles_every_importer_module():
    # formats.py imports each vendor format by name from _MODULES: the analysis cannot see
    # those imports, so the spec must name them; a new importer is bundled the day it is added.
    hidden = contents.hidden_imports()
    assert {f"meterbook.importers.{m}" for m in formats._MODULES} <= set(hidden)
    assert "hiddenimports=[*contents.hidden_imports()" in (PACKAGING / "meterbook.spec").read_text()


def test_the_spec_bundles_what_the_migrations_import():
    # The migrations are bundled as files (Alembic reads a folder), so their imports are named:
    # env.py's logging.config (the first thing a naive bundle missed), the revisions' alembic.op.
    imports = contents.migration_imports()
    assert {"logging.config", "alembic.op", "alembic.context", "sqlalchemy"} <= set(imports)
    assert not [m for m in contents.hidden_imports() if ".migrations" in m]


def test_numpy_and_qt_opengl_are_bundled_once_the_app_draws_charts(tmp_path, monkeypatch):
    # pyqtgraph imports numpy and PySide6.QtOpenGL: the day a page imports pyqtgraph, they
    # must stop being left out, or the bundle fails at start. scipy stays out (optional).
    package = tmp_path / "meterbook"
    (package / "app").mkdir(parents=True)
    (package / "app" / "page.py").write_text("from PySide6.QtWidgets import QWidget\n")
    monkeypatch.setattr(contents, "PACKAGE", package)
    assert {"numpy", "PySide6.QtOpenGL", "scipy"} <= set(contents.excluded_modules())
    (package / "app" / "charts.py").write_text("import pyqtgraph as pg\n")
    excluded = set(contents.excluded_modules())
    assert not {"numpy", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets"} & excluded
    assert {"scipy", "IPython", "pytest", "tkinter"} <= excluded


@pytest.mark.parametrize(("path", "unused"), [
    ("PySide6/Qt/plugins/platforms/libqxcb.so", False),  # X11
    ("PySide6/Qt/plugins/platforms/libqwayland.so", False),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),  # screenshots, CI
    ("PySide6/plugins/platforms/qwindows.dll", False),
    ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", False),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", False),  # the SVG icons
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
    ("PySide6/Qt/lib/libQt6Gui.so.6", False),
    ("PySide6/Qt/plugins/platforms/libqeglfs.so", True),
    ("PySide6/Qt/plugins/imageformats/libqtiff.so", True),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
    ("PySide6/Qt/plugins/tls/libqopensslbackend.so", True),
    ("PySide6/Qt/translations/qtbase_de.qm", True),
    ("libQt6Network.so.6", True),
    ("libsqlite3.so.0", False),
])
def test_the_qt_files_left_out_are_the_unused_ones(path, unused):
    assert contents.unused_qt_file(path) is unused


def test_libraries_only_left_out_files_link_to_are_left_out():
    links = {
        "/q/libqgtk3.so": ["libgtk-3.so.0", "libQt6Gui.so.6"],
        "/l/libgtk-3.so.0": ["libcairo.so.2", "libharfbuzz.so.0"],
        "/l/libcairo.so.2": [],
        "/q/libQt6Gui.so.6": ["libharfbuzz.so.0"],
        "/l/libharfbuzz.so.0": [],
    }
    binaries = [("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/q/libqgtk3.so"),
                ("libgtk-3.so.0", "/l/libgtk-3.so.0"), ("libcairo.so.2", "/l/libcairo.so.2"),
                ("PySide6/Qt/lib/libQt6Gui.so.6", "/q/libQt6Gui.so.6"),
                ("libharfbuzz.so.0", "/l/libharfbuzz.so.0")]
    orphans = contents.orphaned_libraries(
        binaries, {"PySide6/Qt/plugins/platformthemes/libqgtk3.so"}, links.__getitem__)
    # harfbuzz stays: Qt's own Gui library links to it too.
    assert orphans == {"libgtk-3.so.0", "libcairo.so.2"}


def test_only_pythons_own_libraries_are_stripped(tmp_path, monkeypatch):
    # Stripping a library that auditwheel patched (numpy's BLAS) makes it fail to load.
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path / "python"))
    python = tmp_path / "python" / "lib"
    assert contents.python_own_library(str(python / "libpython3.11.so.1.0"))
    assert contents.python_own_library(str(python / "python3.11/lib-dynload/_decimal.so"))
    for package in ("site-packages", "dist-packages"):
        assert not contents.python_own_library(
            str(python / "python3.11" / package / "numpy.libs" / "libscipy_openblas64_.so"))
    assert not contents.python_own_library("/lib/x86_64-linux-gnu/libssl.so.3")


def test_the_icon_is_drawn_at_every_size_for_every_platform(tmp_path):
    # As the spec runs it: in a process of its own (its QGuiApplication would stand in the
    # way of the QApplication that the app's tests need).
    subprocess.run([sys.executable, str(PACKAGING / "make_icons.py"), str(tmp_path)], check=True)
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = (tmp_path / "hicolor" / f"{size}x{size}" / "apps" / "meterbook.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (size, size)
    ico = (tmp_path / "meterbook.ico").read_bytes()
    # ICONDIR: reserved 0, type 1 (icon), 7 images; the first entry is 16x16.
    assert struct.unpack("<HHH", ico[:6]) == (0, 1, 7)
    assert ico[6:8] == bytes([16, 16])
    icns = (tmp_path / "meterbook.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack(">I", icns[4:8])[0] == len(icns)
