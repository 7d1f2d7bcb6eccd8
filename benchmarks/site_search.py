"""In-process sweep of the covering searches (``optimizer.solve.site_search``) over seeds and
radii: set covering at the radius giving about 15 sites in reach times each factor, maximal
covering at each p and radius. One process, no baseline: a quick table of seconds and optima
to compare two versions of the search on the same instances of ``benchmarks/locate.py``.

    python benchmarks/site_search.py                      # lscp, seeds 0-3
    python benchmarks/site_search.py --problem mclp --seeds 0,1
"""

from __future__ import annotations

import argparse
import platform
import time
from importlib.metadata import version

from _instances import coverage_radius, planar_instance

from optimizer import locate

FACTORS = (1.0, 1.1, 1.25, 1.4)  # lscp radii: times the radius with about 15 sites in reach
P_VALUES = (5, 10, 20, 50)
RADII_KM = (10, 20, 30, 45)


def _cases(problem: str, seeds: list[int], size: tuple[int, int]):
    """(seed, instance, locate keywords) for every setting of the sweep."""
    for seed in seeds:
        inst = planar_instance(*size, layout="clustered", seed=seed)
        if problem == "lscp":
            base = coverage_radius(inst, 15.0)
            for factor in FACTORS:
                yield seed, inst, {"radius": base * factor}
        else:
            for p in P_VALUES:
                for radius in RADII_KM:
                    yield seed, inst, {"radius": radius, "p": p, "weights": inst.population}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", choices=("lscp", "mclp"), default="lscp")
    parser.add_argument("--seeds", default="0,1,2,3", help="comma-separated seeds")
    parser.add_argument("--size", default="3000x500", help="demand x sites")
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    seeds = [int(s) for s in args.seeds.split(",")]
    print("| seed | p | radius km | objective | nodes | seconds | status |")
    print("|---|---|---|---|---|---|---|")
    total = 0.0
    for seed, inst, kwargs in _cases(args.problem, seeds, size):
        began = time.perf_counter()
        res = locate(args.problem, inst.cost, time_limit=60, **kwargs)
        seconds = time.perf_counter() - began
        total += seconds
        p = kwargs.get("p", "-")
        print(
            f"| {seed} | {p} | {kwargs['radius']:.1f} | {res.objective:,.0f} | "
            f"{res.details.get('nodes', 0)} | {seconds:.2f} | {res.status} |"
        )
    print(f"\n{total:.2f} s in all. highspy {version('highspy')}; {platform.machine()}.")


if __name__ == "__main__":
    main()
