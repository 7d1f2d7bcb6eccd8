"""Imports point one way: ``geodata`` < ``models`` < ``optimizer``, and inside ``optimizer``
the steps of a plan's data flow, low to high:

    base types (interrupt, results, county_spec, notices)
    < config (site, county, batch) < inputs (read, names, spec)
    < solve < verify < plan < outputs
    < run < batch (task, run, report, cli) < cli (cli, solve_cli)

``verify`` sits below ``plan`` because ``plan_sites`` and ``plan_county`` run the independent
checks themselves; the checks need only the specs and the results.

The imports are read from the source with ``ast``, every import statement counting, also the
ones inside functions: a function-level import is a dependency all the same, only a later one.
``from __future__`` is ignored, and so are imports under ``if TYPE_CHECKING:`` (annotations
only, never run). An import names one module: ``from a.b import c`` depends on ``a.b.c`` when
that is a module and on ``a.b`` otherwise; the packages on the way (``a``) do not count, so a
package ``__init__`` that re-exports its submodules makes no cycle with them. The lazy public
names of ``optimizer/__init__.py`` (``importlib.import_module`` on first attribute access) are
no import statement and are not seen here; the package itself imports nothing statically and
sits with the base types, so ``from optimizer import interrupt`` is an import of
``optimizer.interrupt`` only.

The test fails, listing each offending (importer, imported, line), on
  (a) an import of a higher layer from a lower one;
  (b) an import cycle: a strongly connected component of more than one module in the graph of
      all imports (function-level ones included: a cycle deferred into a function is still two
      modules that cannot be understood, tested or moved one without the other);
  (c) a private name (``_x``) imported from another module, or used through an imported
      module (``mod._x``);
and separately, in a fresh interpreter, on (d) the config modules loading Pyomo, highspy,
numba, matplotlib or dask.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geodata", "models", "optimizer")

# module-name prefix -> layer (higher number = higher layer); the longest prefix wins
LAYERS = {
    "geodata": 0,
    "models": 1,
    "optimizer": 2,  # the package __init__: lazy attributes only
    "optimizer.errors": 2,
    "optimizer.interrupt": 2,
    "optimizer.results": 2,
    "optimizer.county_spec": 2,
    "optimizer.notices": 2,
    "optimizer.versions": 2,
    "optimizer.config": 3,
    "optimizer.inputs": 4,
    "optimizer.solve": 5,
    "optimizer.verify": 6,
    "optimizer.plan": 7,
    "optimizer.outputs": 8,
    "optimizer.run": 9,
    "optimizer.batch": 10,
    "optimizer.cli": 11,
    "optimizer.solve_cli": 11,
    "optimizer.__main__": 11,
}
LAYER_NAMES = {
    0: "geodata",
    1: "models",
    2: "base types",
    3: "config",
    4: "inputs",
    5: "solve",
    6: "verify",
    7: "plan",
    8: "outputs",
    9: "run",
    10: "batch",
    11: "cli",
}

# (importer, imported) pairs allowed for now, each with its reason; keep it empty
KNOWN: dict[tuple[str, str], str] = {}

HEAVY = ("pyomo", "highspy", "numba", "matplotlib", "dask")
CONFIG_MODULES = ("optimizer.config.site", "optimizer.config.county", "optimizer.config.batch")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    names: tuple[str, ...]  # the names of a ``from ... import``; empty for ``import x``

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported} (line {self.line})"


def modules() -> dict[str, Path]:
    """Every module of the three packages: dotted name -> file."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = modules()


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def statements(node: ast.AST):
    """Every import statement in a node, those under ``if TYPE_CHECKING:`` left out."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
        return
    if isinstance(node, ast.If) and is_type_checking(node.test):
        children = node.orelse
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        yield from statements(child)


def absolute(module: str, node: ast.ImportFrom) -> str:
    """The absolute module name a (possibly relative) ``from ... import`` names."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if MODULES[module].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports() -> list[Import]:
    """Every import of one of our modules by one of our modules."""
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in statements(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in PACKAGES:
                        found.append(Import(module, alias.name, node.lineno, ()))
                continue
            target = absolute(module, node)
            if target == "__future__" or target.split(".")[0] not in PACKAGES:
                continue
            plain = []
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:  # ``from package import module``
                    found.append(Import(module, sub, node.lineno, ()))
                else:
                    plain.append(alias.name)
            if plain:
                found.append(Import(module, target, node.lineno, tuple(plain)))
    return found


IMPORTS = imports()


def layer(module: str) -> int:
    prefixes = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    assert prefixes, f"{module} has no layer: add it to LAYERS in tests/test_layering.py"
    return LAYERS[max(prefixes, key=len)]


def report(title: str, problems: list[str]) -> str:
    return f"{title}:\n  " + "\n  ".join(problems)


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if not any(m == p or m.startswith(p + ".") for p in LAYERS)]
    assert not missing, report("modules without a layer in LAYERS", missing)


def test_imports_resolve_to_modules():
    unknown = [str(i) for i in IMPORTS if i.imported not in MODULES]
    assert not unknown, report("imports of modules that do not exist", unknown)


def test_no_upward_import():
    upward = [
        f"{i}: {LAYER_NAMES[layer(i.importer)]} imports {LAYER_NAMES[layer(i.imported)]}"
        for i in IMPORTS
        if layer(i.imported) > layer(i.importer) and (i.importer, i.imported) not in KNOWN
    ]
    assert not upward, report("upward imports (a lower layer importing a higher one)", upward)


def components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.append(member)
                        if member == node:
                            break
                    found.append(sorted(part))
    return found


def test_components_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert sorted(map(sorted, components(graph))) == [["a", "b", "c"], ["d"]]


def test_no_import_cycle():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in IMPORTS:
        if i.importer != i.imported and (i.importer, i.imported) not in KNOWN:
            graph[i.importer].add(i.imported)
    cycles = []
    for part in components(graph):
        if len(part) > 1:
            members = set(part)
            edges = [str(i) for i in IMPORTS if i.importer in members and i.imported in members]
            cycles.append(f"{' <-> '.join(part)}: " + "; ".join(edges))
    assert not cycles, report("import cycles", cycles)


def test_no_private_name_imported_from_another_module():
    private = [
        f"{i}: {', '.join(n for n in i.names if n.startswith('_'))}"
        for i in IMPORTS
        if i.imported != i.importer and any(n.startswith("_") for n in i.names)
    ]
    assert not private, report("private names imported from another module", private)


def module_aliases(module: str, tree: ast.AST) -> dict[str, str]:
    """Local names bound to one of our modules: ``import a.b as x``, ``from a import b``."""
    aliases = {}
    for node in statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    aliases[alias.asname or alias.name] = alias.name
        elif absolute(module, node).split(".")[0] in PACKAGES:
            for alias in node.names:
                sub = f"{absolute(module, node)}.{alias.name}"
                if sub in MODULES:
                    aliases[alias.asname or alias.name] = sub
    return aliases


def test_no_private_name_used_through_a_module():
    private = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        aliases = module_aliases(module, tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and aliases.get(node.value.id, module) != module
            ):
                target = aliases[node.value.id]
                private.append(f"{module} -> {target} (line {node.lineno}): {node.attr}")
    assert not private, report("private names of another module used", private)


def test_known_exceptions_are_still_needed():
    found = {(i.importer, i.imported) for i in IMPORTS}
    stale = [f"{a} -> {b}" for a, b in KNOWN if (a, b) not in found]
    assert not stale, report("KNOWN lists imports that no longer exist; remove them", stale)


def test_config_loads_no_solver_or_plotting_library():
    statement = (
        f"import sys, {', '.join(CONFIG_MODULES)}; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", statement],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"loading the config modules loads {done.stdout.strip()}"


# Where each modelling or solver library may be imported: the mathematics (``models``) and the
# solve step; every later step works on the arrays the solve step returns.
SOLVER_HOMES = {"pyomo": ("models", "optimizer.solve"), "highspy": ("models", "optimizer.solve")}


def library_imports() -> list[tuple[str, str, int]]:
    """(module, library, line) of every import of a library outside our packages."""
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in statements(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [(module, name.split(".")[0], node.lineno) for name in names]
    return found


def test_solvers_are_imported_only_by_models_and_the_solve_step():
    found = library_imports()
    assert {lib for _, lib, _ in found} >= set(SOLVER_HOMES), "the scan found no solver import"
    outside = [
        f"{module} imports {lib} (line {line})"
        for module, lib, line in found
        if lib in SOLVER_HOMES
        and not any(module == h or module.startswith(h + ".") for h in SOLVER_HOMES[lib])
    ]
    assert not outside, report("solver libraries imported after the solve step", outside)
