"""Solve the OR-Library p-median (pmed1-20) and facility (cap41, cap61-64, capa) instances
with ``optimizer.locate`` and compare with the published optima. Prints a Markdown table.

    python benchmarks/orlib.py
    python benchmarks/orlib.py --only pmed1,cap41 --time-limit 60
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from geodata.orlib import read_cap, read_cap_optima, read_pmed, read_pmed_optima
from optimizer import locate

ORLIB = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "orlib"
PMED = [f"pmed{k}" for k in range(1, 21)]
CAP = ["cap41", "cap61", "cap62", "cap63", "cap64", "capa"]
OPTIMUM_KEY = {"capa": "capa-uncapacitated"}


@dataclass
class Row:
    """One solved instance: sizes (demand units n, sites m), seconds and the two values."""

    name: str
    n: int
    m: int
    p: int | None
    seconds: float
    objective: float
    optimum: float
    status: str

    @property
    def match(self) -> bool:
        return abs(self.objective - self.optimum) <= max(1e-3, 1e-9 * abs(self.optimum))


def solve_pmed(name: str, optima: dict[str, float], time_limit: float) -> Row:
    """p-median on the all-pairs shortest-path matrix, unit weights."""
    inst = read_pmed(ORLIB / "pmed" / f"{name}.txt")
    began = time.perf_counter()
    res = locate("p-median", inst.cost, p=inst.p, time_limit=time_limit)
    seconds = time.perf_counter() - began
    n = inst.cost.shape[0]
    return Row(name, n, n, inst.p, seconds, res.objective, optima[name], res.status)


def solve_cap(name: str, optima: dict[str, float], time_limit: float) -> Row:
    """Capacitated facility location with splittable demand (capa: uncapacitated)."""
    inst = read_cap(ORLIB / "cap" / f"{name}.txt")
    began = time.perf_counter()
    res = locate(
        "capacitated",
        inst.unit_cost,
        weights=inst.demand,
        capacities=inst.capacity,
        fixed_costs=inst.fixed_cost,
        time_limit=time_limit,
    )
    seconds = time.perf_counter() - began
    n, m = inst.unit_cost.shape
    return Row(
        name, n, m, None, seconds, res.objective, optima[OPTIMUM_KEY.get(name, name)], res.status
    )


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| instance | n | m | p | seconds | objective | known optimum | status | match |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p = "-" if r.p is None else str(r.p)
        lines.append(
            f"| {r.name} | {r.n} | {r.m} | {p} | {r.seconds:.2f} | "
            f"{r.objective:.12g} | {r.optimum:.12g} | {r.status} | "
            f"{'yes' if r.match else 'NO'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated instance names (default: all)")
    parser.add_argument(
        "--time-limit", type=float, default=300.0, help="seconds per instance (default 300)"
    )
    args = parser.parse_args(argv)
    names = PMED + CAP if args.only is None else args.only.split(",")
    unknown = [n for n in names if n not in PMED + CAP]
    if unknown:
        parser.error(f"unknown instance {unknown[0]!r}; use pmed1..pmed20, {', '.join(CAP)}")
    pmed_optima = read_pmed_optima(ORLIB / "pmed" / "pmedopt.txt")
    cap_optima = read_cap_optima(ORLIB / "cap" / "capopt.txt")
    rows = []
    for name in names:
        row = (
            solve_pmed(name, pmed_optima, args.time_limit)
            if name in PMED
            else solve_cap(name, cap_optima, args.time_limit)
        )
        print(f"{name}: {row.seconds:.2f} s, {row.status}", file=sys.stderr, flush=True)
        rows.append(row)
    print("## OR-Library: locate vs published optima\n")
    print(table(rows))
    total = sum(r.seconds for r in rows)
    matched = sum(r.match for r in rows)
    print(
        f"\n{matched} of {len(rows)} optima reproduced; {total:.1f} s in all "
        f"(median {np.median([r.seconds for r in rows]):.2f} s). "
        f"highspy {version('highspy')}; Python {platform.python_version()}; "
        f"{platform.machine()}."
    )
    return 0 if matched == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
