"""The bundled price catalog: plan files (pricing-plans.md) in `resources/catalog/`.

Each file holds one vendor's list prices (or the per-request services), every plan with the page
it came from (`source`) and the date it was checked (`effective_from`). The catalog is read-only:
`plans add-from-catalog NAME` copies a plan's versions into the user's own plans.
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

from meterbook.core.plan_files import read_plans
from meterbook.core.plans import Plan
from meterbook.core.resources import resource_path


class UnknownCatalogPlan(KeyError):
    """No catalog plan has that name; `suggestions` are the closest names."""

    def __init__(self, name: str, suggestions: list[str]):
        super().__init__(name)
        self.name = name
        self.suggestions = suggestions

    def __str__(self) -> str:  # KeyError's own would quote the whole message
        hint = f"; did you mean {' or '.join(repr(s) for s in self.suggestions)}?"
        return f"no plan named {self.name!r} in the catalog" + (hint if self.suggestions else "")


def catalog_path() -> Path:
    """The folder of the catalog's plan files: installed, bundled or in a source checkout."""
    return resource_path("catalog")


def catalog_plans() -> list[Plan]:
    """Every plan version of the catalog, file by file (sorted by file name), in file order."""
    return list(_load(catalog_path()))


@cache
def _load(folder: Path) -> tuple[Plan, ...]:
    # Plans are frozen, so one read can serve every caller.
    plans: list[Plan] = []
    for path in sorted(folder.glob("*.toml")):
        plans.extend(read_plans(path.read_text(encoding="utf-8"), str(path)))
    return tuple(plans)


def catalog_names() -> list[str]:
    """The catalog's plan names, each once, in catalog order."""
    return list(dict.fromkeys(p.name for p in catalog_plans()))


def catalog_entry(name: str) -> list[Plan]:
    """Every version of the named catalog plan, oldest first (case-insensitive if no exact match).

    UnknownCatalogPlan (a KeyError) names the closest plan names when there is none.
    """
    plans = catalog_plans()
    found = [p for p in plans if p.name == name]
    if not found:
        wanted = name.strip().casefold()
        found = [p for p in plans if p.name.casefold() == wanted]
    if found:
        # Oldest first, as versions read; a version with no start is in force since always.
        return sorted(found, key=lambda p: (p.effective_from is not None, p.effective_from or 0))
    names = catalog_names()
    by_folded = {n.casefold(): n for n in names}
    close = difflib.get_close_matches(name.strip().casefold(), list(by_folded), n=3, cutoff=0.6)
    raise UnknownCatalogPlan(name, [by_folded[c] for c in close])
