"""Where Meterbook's own files are: the price catalog, the icons, the migrations.

One place answers for the three ways Meterbook runs, so no module guesses from its `__file__`:

- installed from a wheel: each file is inside the package folder (pyproject force-includes the
  repository's resources/ as meterbook/resources);
- a source checkout or an editable install, which imports the package from src/: the
  repository's resources/ folder is read (the copy pip puts in site-packages beside an editable
  hook is frozen at install time, so it is never preferred);
- the application bundle (PyInstaller, packaging/meterbook.spec): the spec lays the same files
  out under `sys._MEIPASS/meterbook/` as the wheel does, so bundle and wheel share one layout.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Each resource by name: its place inside the package folder (wheel and bundle alike).
RESOURCES: dict[str, str] = {
    "catalog": "resources/catalog",  # the price catalog's plan files (core/catalog.py)
    "icons": "resources/icons",  # the line icons of pages and actions (app/icons.py)
    "app-icon": "app/meterbook.svg",  # the window's icon (app/launch.py)
    "migrations": "store/migrations",  # Alembic's scripts (store/database.py)
}
_RESOURCES_PREFIX = "resources/"

_PACKAGE = Path(__file__).resolve().parents[1]  # .../meterbook


def package_folders() -> tuple[Path, ...]:
    """The folders a resource is looked for in, in order: the bundle's copy of the package
    when running frozen, else the package itself and the source checkout around it."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        # Frozen: only the bundle's own files count, never a checkout the build happened in.
        return (Path(bundle) / "meterbook",)
    return (_PACKAGE, _PACKAGE.parent.parent)


def _candidates(name: str) -> list[Path]:
    relative = RESOURCES[name]
    folders = package_folders()
    if not relative.startswith(_RESOURCES_PREFIX):
        # A checkout holds only the repository's resources/ folder (at its root): the files
        # inside the package (migrations, the app icon) are found in the package itself.
        folders = folders[:1]
    return [folder / relative for folder in folders]


def resource_path(name: str) -> Path:
    """The file or folder of a named resource (a key of RESOURCES).

    FileNotFoundError names every place looked in: a broken install or bundle says what is
    missing instead of failing later on a path that does not exist."""
    candidates = _candidates(name)
    for path in candidates:
        if path.exists():
            return path
    raise FileNotFoundError(f"Meterbook's {name} is missing (looked in "
                            f"{', '.join(str(p) for p in candidates)})")
