"""The modules of meterbook import each other in layers, and never in a circle.

Layers, lowest first: core -> store -> importers -> reports -> app -> the command line (cli.py,
commands.py, __main__.py: the modules at the top of the package). A module imports its own layer
and those below, never one above. Three modules at the top import nothing of the package, so any
layer may use them: the package itself (its version), logs.py and errors.py.

Every import counts: at module level, inside functions, under `if TYPE_CHECKING:`, absolute or
relative, and `from package import module` as an import of that module (a cycle that is only
lazy today becomes a crash the day someone moves the import to the top of the file).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "meterbook"

# No allowances: every cycle and upward import of issue 10 is gone. An entry here would name a
# cycle or upward import that is tolerated for a while, and the test below fails once it is gone.
ALLOWED_CYCLES: set[frozenset[str]] = set()
ALLOWED_UPWARD: set[tuple[str, str]] = set()

LAYERS = ("core", "store", "importers", "reports", "app", "command line")
# Modules at the top of the package that any layer may import, as they import none of it.
SHARED_BY_ALL = ("meterbook", "meterbook.logs", "meterbook.errors")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of the module that `from ... import` imports from."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that `module` imports, anywhere in its source."""
    found: set[str] = set()

    def deepest(name: str) -> str | None:
        """The module itself, or the nearest package of it that is one of ours."""
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, path.name == "__init__.py", node)
            # `from meterbook.importers import canonical` imports the module canonical.
            names = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                     for alias in node.names]
        else:
            continue
        for name in names:
            target = deepest(name) if name.split(".")[0] == "meterbook" else None
            if target is not None and target != module:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {module: _imports(module, path, modules) for module, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[tuple[frozenset[str], list[str]]]:
    """Each group of modules that import each other in a circle (Tarjan's strongly connected
    components), with one of its cycles: a list of modules, the first repeated at the end."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        # Recursive: the package has a few hundred modules, far below the recursion limit.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in sorted(graph.get(node, ())):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [(frozenset(group), _a_cycle_in(group, graph)) for group in groups]


def _a_cycle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & group):
                if child == start:
                    return [*paths[node], start]
                if child not in paths:
                    paths[child] = [*paths[node], child]
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle in {sorted(group)}")  # a component of 2+ always has one


def layer_of(module: str) -> str | None:
    """The module's layer; None for those SHARED_BY_ALL. Any other module at the top of the
    package (cli.py, commands.py, __main__.py) is the command line's."""
    if module in SHARED_BY_ALL:
        return None
    folder = module.split(".")[1]
    return folder if folder in LAYERS else "command line"


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) for each import of a layer above the importer's, and each import
    by a module that is to import nothing of the package."""
    found = []
    for module, imported in sorted(graph.items()):
        layer = layer_of(module)
        for target in sorted(imported):
            target_layer = layer_of(target)
            if layer is None or (target_layer is not None
                                 and LAYERS.index(target_layer) > LAYERS.index(layer)):
                found.append((module, target))
    return found


def _described(module: str) -> str:
    layer = layer_of(module)
    return f"{module} ({layer or 'imports nothing of the package'})"


def test_no_module_imports_itself_back_through_others():
    found = [cycle for group, cycle in cycles(import_graph()) if group not in ALLOWED_CYCLES]
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_layers_import_only_downward():
    found = [f"{_described(a)} -> {_described(b)}" for a, b in upward_imports(import_graph())
             if (a, b) not in ALLOWED_UPWARD]
    assert found == [], "imports of a layer above:\n" + "\n".join(found)


def test_the_allowances_are_still_needed():
    """An allowance outlives its cycle or import only by mistake: once they are gone, so is
    its entry (the lead removes each as the branch that fixes it is merged)."""
    graph = import_graph()
    groups = {group for group, _cycle in cycles(graph)}
    assert [sorted(group) for group in ALLOWED_CYCLES if group not in groups] == []
    assert [edge for edge in ALLOWED_UPWARD if edge[1] not in graph.get(edge[0], set())] == []


def test_the_checks_see_every_kind_of_import(tmp_path, monkeypatch):
    """A planted cycle through each kind of import is found: relative, inside a function,
    `from package import module`, and under TYPE_CHECKING."""
    package = tmp_path / "meterbook"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "core" / "__init__.py").write_text("")
    (package / "core" / "a.py").write_text("def f():\n    from . import b\n")
    (package / "core" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from meterbook.core import c\n")
    (package / "core" / "c.py").write_text("from ..core.a import f\n")
    (package / "core" / "d.py").write_text("import meterbook.app.x\n")
    (package / "app").mkdir()
    (package / "app" / "x.py").write_text("")
    monkeypatch.setitem(globals(), "PACKAGE", package)
    graph = import_graph()
    assert [cycle for _group, cycle in cycles(graph)] == [
        ["meterbook.core.a", "meterbook.core.b", "meterbook.core.c", "meterbook.core.a"]]
    assert upward_imports(graph) == [("meterbook.core.d", "meterbook.app.x")]
