"""Solve every OR-Library p-median and capacitated instance and print a Markdown table.

    python benchmarks/orlib.py [--time-limit 300]

Instances and optima come from ../shared/benchmarks/orlib beside the project.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geodata.orlib import read_cap, read_cap_optima, read_pmed, read_pmed_optima  # noqa: E402
from optimizer import locate, verify_locate  # noqa: E402

ORLIB = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "orlib"
CAP = ["cap41", "cap61", "cap62", "cap63", "cap64", "capa"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per instance")
    args = parser.parse_args()
    pmed_opt = read_pmed_optima(ORLIB / "pmed" / "pmedopt.txt")
    cap_opt = read_cap_optima(ORLIB / "cap" / "capopt.txt")
    print("| instance | demand | sites | p | seconds | objective | optimum | match | status |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    total = 0.0
    for k in range(1, 21):
        inst = read_pmed(ORLIB / "pmed" / f"pmed{k}.txt")
        began = time.perf_counter()
        res = locate("p-median", inst.cost, p=inst.p, time_limit=args.time_limit)
        seconds = time.perf_counter() - began
        total += seconds
        verify_locate(res, inst.cost, p=inst.p)
        opt = pmed_opt[inst.name]
        n = inst.cost.shape[0]
        print(
            f"| {inst.name} | {n} | {n} | {inst.p} | {seconds:.2f} | {res.objective:.0f} | "
            f"{opt:.0f} | {'yes' if res.objective == opt else 'NO'} | {res.status} |"
        )
    for name in CAP:
        inst = read_cap(ORLIB / "cap" / f"{name}.txt")
        kwargs = dict(weights=inst.demand, capacities=inst.capacity, fixed_costs=inst.fixed_cost)
        began = time.perf_counter()
        res = locate("capacitated", inst.unit_cost, time_limit=args.time_limit, **kwargs)
        seconds = time.perf_counter() - began
        total += seconds
        verify_locate(res, inst.unit_cost, **kwargs)
        opt = cap_opt["capa-uncapacitated" if name == "capa" else name]
        match = abs(res.objective - opt) <= 1e-3
        n, m = inst.unit_cost.shape
        print(
            f"| {name} | {n} | {m} | - | {seconds:.2f} | {res.objective:.3f} | {opt:.3f} | "
            f"{'yes' if match else 'NO'} | {res.status} |"
        )
    print(f"\nTotal: {total:.1f} s")


if __name__ == "__main__":
    main()
