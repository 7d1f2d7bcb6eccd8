"""p-median on graphs made by Beasley's rule for the OR-Library pmed set, at sizes past the
stored pmed1-20 (800 and 900 vertices, p = 5 and 10 by default).

Beasley (1985): a random connected graph with n^2 / 50 edges (pmed1-20 have 200, 800, 1800
and 3200 edges at 100-400 vertices), each of random integer length 1..100, every vertex a
demand unit and a candidate site, costs the shortest-path lengths. Here the graph is a
random spanning tree (vertex k joins a random earlier vertex) plus distinct random edges up
to n^2 / 50. Each plan is checked by ``verify_locate``; prints a Markdown table.

    python benchmarks/pmed_beasley.py
    python benchmarks/pmed_beasley.py --sizes 800,900 --p 5,10 --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from importlib.metadata import version

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from optimizer import locate, verify_locate


def beasley_graph(n: int, seed: int) -> np.ndarray:
    """All-pairs shortest-path lengths of a random connected graph on ``n`` vertices with
    n^2 / 50 edges of integer length 1..100."""
    rng = np.random.default_rng(seed)
    n_edges = n * n // 50
    parent = np.array([rng.integers(0, k) for k in range(1, n)])
    edges = {(int(min(a, b)), int(max(a, b))) for a, b in zip(parent, range(1, n), strict=True)}
    while len(edges) < n_edges:
        a, b = (int(v) for v in rng.integers(0, n, size=2))
        if a != b:
            edges.add((min(a, b), max(a, b)))
    ij = np.array(sorted(edges))
    length = rng.integers(1, 101, size=ij.shape[0]).astype(float)
    graph = sp.coo_array((length, (ij[:, 0], ij[:, 1])), shape=(n, n)).tocsr()
    return shortest_path(graph, directed=False)


def _numbers(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"use comma-separated integers (got {text!r})") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_numbers, default=[800, 900], help="vertices")
    parser.add_argument("--p", type=_numbers, default=[5, 10], help="sites to open")
    parser.add_argument("--seeds", type=_numbers, default=[0, 1], help="graph seeds")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per run")
    args = parser.parse_args(argv)
    print("## p-median on Beasley-rule graphs\n")
    print("| vertices | edges | p | seed | seconds | objective | bound | status | verified |")
    print("|---|---|---|---|---|---|---|---|---|")
    total = 0.0
    for n in args.sizes:
        for seed in args.seeds:
            cost = beasley_graph(n, seed)
            for p in args.p:
                began = time.perf_counter()
                res = locate("p-median", cost, p=p, time_limit=args.time_limit)
                seconds = time.perf_counter() - began
                total += seconds
                verify_locate(res, cost, p=p)
                print(
                    f"| {n} | {n * n // 50} | {p} | {seed} | {seconds:.2f} | "
                    f"{res.objective:.12g} | {res.bound:.12g} | {res.status} | yes |",
                    flush=True,
                )
    print(
        f"\n{total:.1f} s in all. highspy {version('highspy')}; "
        f"Python {platform.python_version()}; {platform.machine()}."
    )


if __name__ == "__main__":
    sys.exit(main())
