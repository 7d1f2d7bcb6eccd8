"""Mutation test of the plan verifiers: switch each check off in turn, expect a test to fail.

    .venv/bin/python tests/mutation_verifiers.py            # every mutant (11 minutes on 2 cores)
    .venv/bin/python tests/mutation_verifiers.py --list     # the mutants only, nothing run
    .venv/bin/python tests/mutation_verifiers.py --only verify/roaming.py

(Not collected by pytest: the name has no ``test_`` prefix.)

The checks are found with ``ast`` in ``optimizer/verify/locate.py``, ``optimizer/verify/county.py``
and ``optimizer/verify/roaming.py``, so a check added later is mutated too. A "report" is a
call ``problems.append(...)``, ``out.append(...)`` or ``bad.append(...)`` (the lists the
verifiers collect findings in) or ``raise VerificationError(...)``. Each check is switched
off by one mutant:

- ``if`` (or ``elif``) whose own body reports: its condition becomes ``False``;
- ``else`` whose own body reports: its body becomes ``pass``;
- ``for`` whose own body reports (one finding per item): it loops over ``()``;
- a table of checks, ``for ... in ((mask, what), ...)`` whose own body holds a reporting
  ``if``: one mutant per row, the row removed (the ``if`` itself is not mutated separately);
- a dict of expected figures, ``for item, want in checks.items()`` likewise: one mutant per
  key, the key removed, and one per ``checks[key] = ...`` statement, made ``pass``.

Each mutant is written into a private copy of the source tree (a temporary folder, so
concurrent work in the checkout is never touched; ``../shared`` is linked beside it for the
tests' data; no ``.pyc`` is read or written there) and ``python -m pytest -x -q`` runs, in
that copy, the test files that name the mutated module's entry point (``verify_locate``;
``verify_county``; ``verify_county`` or ``check_roaming``): the verifier's own tamper tests
first (``test_verify_*.py``), then every other test file that calls it. A failing run kills
the mutant; a passing one means no test noticed that the check was gone (it survived).

Why these files and not the whole suite: the whole suite takes about 4 minutes, i.e. 6 hours
for the ~100 mutants; these files take 30-80 s when every test passes and stop at the first
failure (``-x``), so a run of every mutant takes 10-15 minutes. The selection is still
honest: it is by file, with no ``-k``, and holds every test that hands a verifier a plan.
The files left out reach the verifiers only through the planners, which verify the plans
they have just made: genuine plans, on which no check fires, so switching a check off cannot
change their outcome.

First an unmutated copy (the module as ``ast`` writes it back) must pass the same files;
then the table (module, line, check, mutation, result, first failing test) is printed. Exit
status 1 when a mutant survived or timed out, 2 when a baseline fails.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SINKS = {"problems", "out", "bad"}
# module -> (names whose callers' tests are run, the verifier's own tamper tests)
MODULES = {
    "optimizer/verify/locate.py": (("verify_locate",), ("tests/test_verify_locate.py",)),
    "optimizer/verify/county.py": (
        ("verify_county",),
        (
            "tests/test_verify_county.py",
            "tests/test_county_stages.py",
            "tests/test_verify_roaming.py",
        ),
    ),
    "optimizer/verify/roaming.py": (
        ("verify_county", "check_roaming"),
        ("tests/test_verify_roaming.py",),
    ),
}


@dataclass
class Mutant:
    module: str
    line: int
    check: str
    kind: str  # "if", "else", "for", "row", "key", "set"
    target: tuple  # what to change: (lineno, col_offset) of the node, and for rows the index


def _reports(stmt: ast.stmt) -> bool:
    """``stmt`` itself reports a finding (append to a findings list, raise VerificationError)."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        f = stmt.value.func
        return (
            isinstance(f, ast.Attribute)
            and f.attr == "append"
            and isinstance(f.value, ast.Name)
            and f.value.id in SINKS
        )
    if isinstance(stmt, ast.Raise) and isinstance(stmt.exc, ast.Call):
        return getattr(stmt.exc.func, "id", None) == "VerificationError"
    return False


def _first_report_text(stmts: list[ast.stmt]) -> str:
    """The first finding reported in ``stmts``, its placeholders as ``{...}``, for the table."""
    for stmt in stmts:
        if not _reports(stmt):
            continue
        call = stmt.value if isinstance(stmt, ast.Expr) else stmt.exc
        arg = call.args[0] if call.args else None
        if isinstance(arg, ast.List) and arg.elts:
            arg = arg.elts[0]
        if isinstance(arg, ast.JoinedStr):
            return "".join(
                v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                for v in arg.values
            )
        if isinstance(arg, ast.Constant):
            return str(arg.value)
        return ast.unparse(call)
    return "?"


def _reporting_if(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.If) and any(_reports(s) for s in stmt.body)


def _row_text(row: ast.expr) -> str:
    strings = [
        n.value for n in ast.walk(row) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    return strings[0] if strings else ast.unparse(row)


def find_mutants(module: str, source: str) -> list[Mutant]:
    tree = ast.parse(source)
    out: list[Mutant] = []
    table_ifs: set[tuple[int, int]] = set()

    def visit(node: ast.AST, func: ast.FunctionDef | None) -> None:
        if isinstance(node, ast.FunctionDef):
            func = node
        if isinstance(node, ast.For) and any(_reporting_if(s) for s in node.body):
            where = (node.lineno, node.col_offset)
            if isinstance(node.iter, (ast.Tuple, ast.List)) and len(node.iter.elts) > 1:
                table_ifs.update((s.lineno, s.col_offset) for s in node.body if _reporting_if(s))
                for k, row in enumerate(node.iter.elts):
                    out.append(Mutant(module, row.lineno, _row_text(row), "row", (*where, k)))
            elif _dict_table(node, func) is not None:
                out.extend(_key_mutants(module, node, func))
        if isinstance(node, ast.For) and any(_reports(s) for s in node.body):
            text = _first_report_text(node.body)
            out.append(Mutant(module, node.lineno, text, "for", (node.lineno, node.col_offset)))
        if isinstance(node, ast.If):
            where = (node.lineno, node.col_offset)
            if any(_reports(s) for s in node.body) and where not in table_ifs:
                out.append(Mutant(module, node.lineno, _first_report_text(node.body), "if", where))
            has_else = node.orelse and not (
                len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If)
            )
            if has_else and any(_reports(s) for s in node.orelse):
                text = _first_report_text(node.orelse)
                out.append(Mutant(module, node.orelse[0].lineno, text, "else", where))
        for child in ast.iter_child_nodes(node):
            visit(child, func)

    # tables are found at their loop, before the ``if`` inside is visited
    visit(tree, None)
    out.sort(key=lambda mu: (mu.line, mu.kind))
    return out


def _dict_table(loop: ast.For, func) -> ast.Dict | None:
    """The dict literal a ``for ... in name.items()`` loop runs over, if any."""
    it = loop.iter
    if not (
        func is not None
        and isinstance(it, ast.Call)
        and isinstance(it.func, ast.Attribute)
        and it.func.attr == "items"
        and isinstance(it.func.value, ast.Name)
    ):
        return None
    name = it.func.value.id
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ):
            return node.value
    return None


def _key_mutants(module: str, loop: ast.For, func) -> list[Mutant]:
    table = _dict_table(loop, func)
    name = loop.iter.func.value.id
    out = [
        Mutant(module, key.lineno, ast.unparse(key), "key", (table.lineno, table.col_offset, k))
        for k, key in enumerate(table.keys)
    ]
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Subscript)
            and isinstance(node.targets[0].value, ast.Name)
            and node.targets[0].value.id == name
        ):
            key = ast.unparse(node.targets[0].slice)
            out.append(Mutant(module, node.lineno, key, "set", (node.lineno, node.col_offset)))
    return out


class _Apply(ast.NodeTransformer):
    def __init__(self, mutant: Mutant) -> None:
        self.mu = mutant
        self.done = False

    def _at(self, node: ast.AST) -> bool:
        return (node.lineno, node.col_offset) == self.mu.target[:2]

    def visit_If(self, node: ast.If):
        self.generic_visit(node)
        if self._at(node) and self.mu.kind == "if":
            node.test, self.done = ast.Constant(False), True
        elif self._at(node) and self.mu.kind == "else":
            node.orelse, self.done = [ast.Pass()], True
        return node

    def visit_For(self, node: ast.For):
        self.generic_visit(node)
        if self._at(node) and self.mu.kind == "for":
            node.iter, self.done = ast.Tuple([], ast.Load()), True
        elif self._at(node) and self.mu.kind == "row":
            del node.iter.elts[self.mu.target[2]]
            self.done = True
        return node

    def visit_Dict(self, node: ast.Dict):
        self.generic_visit(node)
        if self._at(node) and self.mu.kind == "key":
            k = self.mu.target[2]
            del node.keys[k], node.values[k]
            self.done = True
        return node

    def visit_Assign(self, node: ast.Assign):
        self.generic_visit(node)
        if self._at(node) and self.mu.kind == "set":
            self.done = True
            return ast.Pass()
        return node


def mutate(source: str, mutant: Mutant | None) -> str:
    tree = ast.parse(source)
    if mutant is not None:
        apply = _Apply(mutant)
        tree = apply.visit(copy.deepcopy(tree))
        if not apply.done:
            raise RuntimeError(f"mutant not applied: {mutant}")
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def test_files(module: str) -> list[str]:
    names, own = MODULES[module]
    others = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").glob("test_*.py")
        if str(p.relative_to(ROOT)) not in own and any(n in p.read_text() for n in names)
    )
    return [*own, *others]


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = {".git", ".venv", "out", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache"}
    return {n for n in names if n in skip or n.endswith(".egg-info")}


def run(copy_root: Path, files: list[str], timeout: float, show: bool = False):
    """pytest on ``files`` in the copy: ("killed", first failing test), ("survived", "")
    or ("timeout", "")."""
    env = {**os.environ, "PYTHONPATH": str(copy_root), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *files]
    try:
        done = subprocess.run(
            cmd, cwd=copy_root, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "timeout", ""
    if show and done.returncode:
        print(done.stdout[-3000:], done.stderr[-2000:])
    if done.returncode == 0:
        return "survived", ""
    if done.returncode == 1:
        failed = [
            line.split(" ", 1)[1].split(" - ", 1)[0]
            for line in done.stdout.splitlines()
            if line.startswith(("FAILED ", "ERROR "))
        ]
        return "killed", (failed[0] if failed else "?")
    tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
    raise RuntimeError(f"pytest exit {done.returncode}:\n" + "\n".join(tail))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument("--only", default="", help="mutants whose 'module:line check' contains this")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds per pytest run")
    args = ap.parse_args()

    sources = {m: (ROOT / m).read_text() for m in MODULES}
    mutants = [
        mu
        for m in MODULES
        for mu in find_mutants(m, sources[m])
        if args.only in f"{mu.module}:{mu.line} {mu.check}"
    ]
    if args.list:
        for mu in mutants:
            print(f"{mu.module}:{mu.line}\t{mu.kind}\t{mu.check}")
        print(f"{len(mutants)} mutants")
        return 0

    rows = []
    with tempfile.TemporaryDirectory(prefix="mutation_verifiers_") as tmp:
        copy_root = Path(tmp) / "src"
        shutil.copytree(ROOT, copy_root, ignore=_ignore)
        if (ROOT.parent / "shared").is_dir():  # data the tests find next to the checkout
            (Path(tmp) / "shared").symlink_to(ROOT.parent / "shared")
        for module in dict.fromkeys(mu.module for mu in mutants):
            files = test_files(module)
            target = copy_root / module
            target.write_text(mutate(sources[module], None))
            start = time.perf_counter()
            if run(copy_root, files, args.timeout, show=True)[0] != "survived":
                print(f"baseline fails: {module} unmutated, {' '.join(files)}")
                return 2
            seconds = time.perf_counter() - start
            print(f"{module}: baseline passes ({seconds:.0f} s): {files}", flush=True)
            for mu in (mu for mu in mutants if mu.module == module):
                target.write_text(mutate(sources[module], mu))
                start = time.perf_counter()
                result, killer = run(copy_root, files, args.timeout)
                seconds = time.perf_counter() - start
                rows.append((mu, result, killer))
                where = f"{mu.module}:{mu.line} {mu.kind}"
                print(f"  {where} {mu.check[:60]!r}: {result} ({seconds:.0f} s)", flush=True)
            target.write_text(sources[module])

    print()
    print("| module | line | check | mutation | result | first failing test |")
    print("|---|---|---|---|---|---|")
    for mu, result, killer in rows:
        check = mu.check.replace("|", "\\|")[:70]
        killer = killer.removeprefix("tests/").replace("::test_", " ")
        print(f"| {Path(mu.module).name} | {mu.line} | {check} | {mu.kind} | {result} | {killer} |")
    bad = [r for r in rows if r[1] != "killed"]
    print(f"\n{len(rows)} mutants: {len(rows) - len(bad)} killed, {len(bad)} not killed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
