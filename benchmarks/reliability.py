"""What reliability costs: interrupt callbacks, and internal objective scaling.

1. CPU seconds of the same solves with and without ``optimizer.interrupt.signals()`` (which
   switches on HiGHS's interrupt callbacks so Ctrl-C can stop a solve).
2. HiGHS warnings about bad scaling for populations up to 1e7, minutes up to 1e4 and fixed
   costs up to 1e9, with the internal scaling and with it switched off.

    python benchmarks/reliability.py
"""

from __future__ import annotations

import resource

import highspy
import numpy as np

import geodata
import optimizer.solve.benders as benders_module
import optimizer.solve.highs as highs_module
from optimizer import interrupt, locate


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def p_median_case():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 100, (500, 2))
    cost = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    return "p-median 500x500, p=25", cost, dict(weights=rng.integers(1, 100, 500) * 1.0, p=25)


def capacitated_case():
    county = geodata.synthetic_county(600, 60, seed=5)
    travel = geodata.straight_line_minutes(
        county.demand, county.sites, speed_kmh=30, max_minutes=60
    )
    weights = county.demand["population"].to_numpy(float)
    args = dict(
        weights=weights,
        capacities=np.full(60, weights.sum() * 1.15 / 15),
        fixed_costs=100_000.0 * (1 + np.arange(60) % 7),
        single_source=True,
    )
    return "capacitated single-source 600x60", travel.minutes, args


def overhead() -> None:
    print("| solve | status | objective | CPU s plain | CPU s with signals() |")
    print("|---|---|---:|---:|---:|")
    for name, cost, args in (p_median_case(), capacitated_case()):
        problem = name.split()[0]
        seconds = []
        for watched in (False, True):
            began = cpu()
            if watched:
                with interrupt.signals():
                    result = locate(problem, cost, time_limit=300, **args)
            else:
                result = locate(problem, cost, time_limit=300, **args)
            seconds.append(cpu() - began)
        print(
            f"| {name} | {result.status} | {result.objective:,.2f} | {seconds[0]:.2f} | "
            f"{seconds[1]:.2f} |"
        )


def scaling() -> None:
    rng = np.random.default_rng(0)
    cost = rng.uniform(1.0, 1e4, (60, 15))
    weights = rng.uniform(1.0, 1e7, 60)
    fixed = rng.uniform(1e8, 1e9, 15)
    cases = {
        "lscp": dict(radius=5000.0, fixed_costs=fixed),
        "mclp": dict(p=4, radius=3000.0),
        "p-median": dict(p=4),
        "p-center": dict(p=4),
        "capacitated": dict(fixed_costs=fixed, capacities=np.full(15, weights.sum() / 5)),
    }
    lines: list[str] = []
    run = highspy.Highs.run

    def logged(self):
        self.setOptionValue("output_flag", True)
        self.setOptionValue("log_to_console", False)
        self.cbLogging.clear()
        self.cbLogging += lambda event: lines.append(event.message)
        return run(self)

    highspy.Highs.run = logged
    scale = highs_module.objective_scale
    print("\n| problem | HiGHS warnings unscaled | scaled | objective unscaled | scaled |")
    print("|---|---:|---:|---:|---:|")
    try:
        for problem, args in cases.items():
            counts, objectives = [], []
            for scaled in (False, True):
                chosen = scale if scaled else (lambda c: 1.0)
                highs_module.objective_scale = benders_module.objective_scale = chosen
                lines.clear()
                result = locate(problem, cost, weights=weights, time_limit=60, **args)
                counts.append(sum("WARNING" in line for line in lines))
                objectives.append(result.objective)
            print(
                f"| {problem} | {counts[0]} | {counts[1]} | {objectives[0]:,.2f} | "
                f"{objectives[1]:,.2f} |"
            )
    finally:
        highspy.Highs.run = run
        highs_module.objective_scale = benders_module.objective_scale = scale


if __name__ == "__main__":
    overhead()
    scaling()
