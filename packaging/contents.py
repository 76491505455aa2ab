"""What goes into the application bundle, worked out from the sources (used by meterbook.spec).

Plain Python, no PyInstaller: tests/test_packaging.py checks these lists without a build. Each
list is derived from the code it serves, so a new importer, migration or resource is bundled
without anyone remembering to add it here:

- every module of the package, since some are loaded only by name (importers/formats.py
  imports each vendor format from `_MODULES`), which PyInstaller's analysis cannot follow;
- every module the Alembic migrations import: the migrations are bundled as files (Alembic
  reads them from a folder), so their imports (`logging.config`, `alembic.op`...) are invisible
  to the analysis too;
- every resource of `meterbook.core.resources.RESOURCES`, laid out under `meterbook/` as in the
  wheel, which is where the resource helper looks inside a bundle.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "meterbook"
MIGRATIONS = PACKAGE / "store" / "migrations"

if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from meterbook.core.resources import RESOURCES  # noqa: E402  (needs SRC on the path)

# Python packages that reach the analysis only through optional imports of our dependencies
# (IPython's, pytest's, pydantic's hypothesis plugin...), never at run time (jedi alone: 32 MB).
UNUSED_MODULES = (
    "IPython", "jedi", "parso", "matplotlib", "matplotlib_inline", "pytest", "_pytest", "py",
    "hypothesis", "tkinter", "_tkinter", "trio", "PIL", "dotenv", "pygments", "setuptools",
    "pkg_resources", "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick",
)
# Modules that optional imports of our dependencies reach, left out unless a module of the app
# imports one of the packages named with it: numpy (40 MB with its BLAS) and Qt's OpenGL
# modules are needed by pyqtgraph (the charts), which imports them even to draw without
# OpenGL; pyqtgraph's own use of scipy (70 MB) is optional.
UNLESS_IMPORTED = {
    "numpy": ("pyqtgraph", "numpy"),
    "PySide6.QtOpenGL": ("pyqtgraph",),
    "PySide6.QtOpenGLWidgets": ("pyqtgraph",),
    "scipy": ("scipy",),
    "yaml": ("yaml",),
}

# Qt plugins by folder: the folders the app never loads, and in the folders it does load, the
# plugins to keep (names without the platform's "lib"/"q" prefix and suffix). Platforms: X11,
# Wayland, Windows, macOS, and the two headless ones (screenshots, CI).
UNUSED_PLUGIN_FOLDERS = {"egldeviceintegrations", "generic", "networkinformation", "tls",
                         "sqldrivers", "position", "multimedia", "qmltooling",
                         "designer", "canbus", "sensors", "texttospeech", "webview"}
KEPT_PLUGINS = {
    "platforms": {"xcb", "wayland", "wayland-egl", "wayland-generic", "offscreen", "minimal",
                  "windows", "cocoa"},
    "imageformats": {"svg"},  # the icons; PNG (screenshots) is built into Qt
    "platformthemes": {"xdgdesktopportal"},  # gtk3 would drag in GTK's 20 MB of libraries
}
# Qt libraries needed only by the plugins left out above.
UNUSED_QT_LIBRARIES = re.compile(r"Qt6(EglFS|EglFsKms|Network|Pdf|Qml|Quick|VirtualKeyboard)")


def package_modules() -> list[str]:
    """Every module of the package, except the migrations (bundled as files, not modules)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if MIGRATIONS in path.parents:
            continue
        parts = path.relative_to(SRC).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent that is no package: `b` of `from a import b`
        return False


def migration_imports() -> list[str]:
    """Every module the migration scripts import (`from a import b` counts a, and a.b when b
    is a module: `from alembic import op`)."""
    found: set[str] = set()
    for path in sorted(MIGRATIONS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return sorted(name for name in found if name != "__future__" and _is_module(name))


def hidden_imports() -> list[str]:
    return sorted({*package_modules(), *migration_imports()})


def data_files() -> list[tuple[str, str]]:
    """(file, folder in the bundle) for each resource file, laid out as in the wheel: the
    repository's resources/X at meterbook/resources/X, files of the package at their place."""
    pairs = []
    for relative in RESOURCES.values():
        base = ROOT if relative.startswith("resources/") else PACKAGE
        source = base / relative
        if not source.exists():
            raise FileNotFoundError(f"a resource to bundle is missing: {source}")
        files = [source] if source.is_file() else sorted(
            p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        pairs.extend((str(path), str(Path("meterbook") / path.relative_to(base).parent))
                     for path in files)
    return pairs


def app_imports(package: str) -> bool:
    """Whether any module of the app imports the package (or a module of it)."""
    pattern = re.compile(rf"^\s*(from|import)\s+{re.escape(package)}\b", re.M)
    return any(pattern.search(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py"))


def excluded_modules() -> list[str]:
    optional = [module for module, users in UNLESS_IMPORTED.items()
                if not any(app_imports(user) for user in users)]
    return [*UNUSED_MODULES, *optional]


def python_own_library(source: str) -> bool:
    """Whether a collected library is one of the Python installation's own (libpython, its
    extension modules), not one of an installed package's or of the system's."""
    path = Path(source).resolve()
    base = Path(sys.base_prefix).resolve()
    return base in path.parents and not {"site-packages", "dist-packages"} & set(path.parts)


def _plugin_name(file_name: str) -> str:
    stem = file_name.split(".")[0]
    stem = stem.removeprefix("lib")
    return stem.removeprefix("q")


def unused_qt_file(destination: str) -> bool:
    """Whether a file of the bundle (its path inside it) is a Qt file the app never loads."""
    parts = Path(destination.replace("\\", "/")).parts
    if "PySide6" not in parts:
        return bool(UNUSED_QT_LIBRARIES.search(parts[-1]))
    if "translations" in parts:
        return True  # the app is in English and installs no QTranslator
    if "plugins" in parts and len(parts) > parts.index("plugins") + 2:
        folder = parts[parts.index("plugins") + 1]
        if folder in UNUSED_PLUGIN_FOLDERS:
            return True
        kept = KEPT_PLUGINS.get(folder)
        return kept is not None and _plugin_name(parts[-1]) not in kept
    return bool(UNUSED_QT_LIBRARIES.search(parts[-1]))


def orphaned_libraries(binaries: list[tuple[str, str]], removed: set[str],
                       imports: Callable[[str], Iterable[str]]) -> set[str]:
    """The collected libraries (bundle paths) that only removed files link to: GTK's dozen
    libraries come in for the GTK theme plugin alone. `binaries` holds (bundle path, source
    file) pairs, `imports(source)` the library names a file links to (PyInstaller's
    bindepend). A library any kept file links to, directly or through others, stays."""
    by_name: dict[str, list[str]] = {}
    for destination, _source in binaries:
        by_name.setdefault(Path(destination).name, []).append(destination)
    source_of = dict(binaries)

    def linked(starts: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = [start for start in starts if start in source_of]  # data files link nothing
        while todo:
            for name in imports(source_of[todo.pop()]):
                for dependency in by_name.get(Path(name).name, ()):
                    if dependency not in seen:
                        seen.add(dependency)
                        todo.append(dependency)
        return seen

    # Qt's own libraries are never candidates: Qt loads some of them by name at run time.
    candidates = {d for d in linked(removed) - removed if "PySide6" not in Path(d).parts}
    roots = [d for d, _ in binaries if d not in removed and d not in candidates]
    return candidates - linked(roots)
