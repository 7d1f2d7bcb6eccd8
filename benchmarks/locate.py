"""Benchmark ``optimizer.locate`` against PySAL spopt (PuLP + CBC) on random planar instances.

Every (tool, problem, size) runs in a fresh process, so peak memory is per run. Prints a
Markdown table: build, solve and total seconds, peak memory, objective and status for each
tool, the speed-up (spopt total / ours total) and whether the optimal objectives agree.

    python benchmarks/locate.py                      # default: every problem and size
    python benchmarks/locate.py --sizes 1000x200 --problems lscp,mclp --skip-spopt
    python benchmarks/locate.py --sizes 3000x500 --problems mclp --p 5,10,20,50 --radius 10,20,45
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from importlib.metadata import version

from _instances import LAYOUTS, coverage_radius, planar_instance
from _measure import ChildPeak, Outcome, peak_mib, run_worker, start_peak_window

PROBLEMS = ("lscp", "mclp", "p-median")
SIZES = ((1000, 200), (3000, 500), (10000, 1000))
SITES_IN_REACH = 15.0  # expected candidate sites within the coverage radius
WORKER_SLACK = 120.0  # seconds a worker may run past its solver time limit


@dataclass(frozen=True)
class Case:
    """One benchmark instance: problem, sizes, layout, seed and the number of sites p."""

    problem: str
    n_demand: int
    n_sites: int
    layout: str
    seed: int
    sites_open: int | None = None  # p; None: by size
    km: float | None = None  # coverage radius; None: about SITES_IN_REACH sites in reach

    @property
    def p(self) -> int:
        if self.sites_open is not None:
            return self.sites_open
        return 10 if self.n_sites <= 200 else 15 if self.n_sites <= 500 else 20

    @property
    def size(self) -> str:
        return f"{self.n_demand} x {self.n_sites}"

    @property
    def label(self) -> str:
        """Problem, size and the p and radius given for it."""
        given = [f"p {self.sites_open}"] if self.sites_open is not None else []
        given += [f"radius {self.km:g} km"] if self.km is not None else []
        return " ".join([self.problem, self.size, *given])


# ------------------------------------------------------------------------------- workers


def _ours(case: Case, inst, radius: float, time_limit: float) -> dict:
    from optimizer import locate

    kwargs: dict = {"time_limit": time_limit}
    if case.problem in ("lscp", "mclp"):
        kwargs["radius"] = radius
    if case.problem in ("mclp", "p-median"):
        kwargs |= {"weights": inst.population, "p": case.p}
    began = time.perf_counter()
    res = locate(case.problem, inst.cost, **kwargs)
    total = time.perf_counter() - began
    return {
        "build": total - res.seconds_solve,
        "solve": res.seconds_solve,
        "total": total,
        "objective": res.objective,
        "status": res.status,
        "gap": res.gap,
    }


def _spopt(case: Case, inst, radius: float) -> dict:
    import pulp
    from spopt.locate import LSCP, MCLP, PMedian

    warnings.simplefilter("ignore")
    began = time.perf_counter()
    if case.problem == "lscp":
        model = LSCP.from_cost_matrix(inst.cost, radius)
    elif case.problem == "mclp":
        model = MCLP.from_cost_matrix(inst.cost, inst.population, radius, case.p)
    else:
        model = PMedian.from_cost_matrix(inst.cost, inst.population, case.p)
    built = time.perf_counter()
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    done = time.perf_counter()
    status = pulp.LpStatus[model.problem.status].lower()
    return {
        "build": built - began,
        "solve": done - built,
        "total": done - began,
        "objective": float(pulp.value(model.problem.objective)),
        "status": status,
        "gap": 0.0,
    }


def worker(tool: str, case: Case, time_limit: float) -> None:
    """Solve one case and print its measurements as one JSON line."""
    if tool == "ours":
        # optimizer loads its public names lazily; load the solver stack before the baseline
        from optimizer import locate  # noqa: F401
    else:
        import spopt.locate  # noqa: F401
    inst = planar_instance(case.n_demand, case.n_sites, layout=case.layout, seed=case.seed)
    radius = case.km if case.km is not None else coverage_radius(inst, SITES_IN_REACH)
    baseline = start_peak_window()
    children = ChildPeak()
    try:
        with children:
            record = (
                _ours(case, inst, radius, time_limit)
                if tool == "ours"
                else _spopt(case, inst, radius)
            )
    except MemoryError:
        record = {"state": "out of memory"}
    except Exception as exc:  # report any solver failure as a table entry
        record = {"state": "error", "message": f"{type(exc).__name__}: {exc}"}
    record |= {
        "peak_mib": peak_mib() + children.peak,
        "baseline_mib": baseline,
        "radius": radius,
    }
    print(json.dumps(record), flush=True)


# ------------------------------------------------------------------------------- driver


def _cases(args) -> list[Case]:
    """Every problem and size; mclp and p-median for each ``--p``, lscp and mclp for each
    ``--radius`` (when given)."""
    cases = []
    for problem in args.problems:
        ps = args.p if args.p and problem != "lscp" else [None]
        radii = args.radius if args.radius and problem != "p-median" else [None]
        for n, m in args.sizes:
            for p in ps:
                cases += [Case(problem, n, m, args.layout, args.seed, p, r) for r in radii]
    return cases


def _measure(tool: str, case: Case, args) -> Outcome:
    limit = args.spopt_timeout if tool == "spopt" else args.time_limit + WORKER_SLACK
    argv = [
        __file__,
        "--worker",
        tool,
        json.dumps(asdict(case)),
        "--time-limit",
        str(args.time_limit),
    ]
    return run_worker(argv, timeout=limit, memory_gib=args.memory_gib)


def _seconds(out: Outcome, key: str, timeout: float) -> str:
    if out.state == "timeout":
        return f">{timeout:g} (timeout)" if key == "total" else "-"
    if out.state != "done":
        return "-"
    return f"{out.record[key]:.2f}"


def _status(out: Outcome) -> str:
    if out.state != "done":
        return out.state
    rec = out.record
    if rec["status"] == "time_limit":
        return f"time limit (gap {100 * rec['gap']:.2f}%)"
    return rec["status"]


def _speedup(ours: Outcome, theirs: Outcome | None, timeout: float) -> str:
    if theirs is None or ours.state != "done" or ours.record["status"] != "optimal":
        return "-"
    if theirs.state == "timeout":
        return f">{timeout / ours.record['total']:.0f}x"
    if theirs.state != "done":
        return "-"
    return f"{theirs.record['total'] / ours.record['total']:.1f}x"


def _agree(ours: Outcome, theirs: Outcome | None) -> str:
    done = [
        o
        for o in (ours, theirs)
        if o is not None and o.state == "done" and o.record["status"] == "optimal"
    ]
    if len(done) < 2:
        return "-"
    a, b = ours.record["objective"], theirs.record["objective"]
    return "yes" if abs(a - b) <= 1e-6 * max(1.0, abs(a)) else f"NO ({a:g} vs {b:g})"


def _row(case: Case, tool: str, out: Outcome, timeout: float, speed: str, agree: str) -> str:
    rec = out.record
    objective = f"{rec['objective']:.10g}" if out.state == "done" else "-"
    memory = (
        f"{rec['peak_mib']:.0f} (+{rec['peak_mib'] - rec['baseline_mib']:.0f})"
        if out.state == "done"
        else "-"
    )
    cells = [
        case.problem,
        case.size,
        str(case.p) if case.problem != "lscp" else "-",
        f"{rec['radius']:g}" if out.state == "done" and case.problem != "p-median" else "-",
        tool,
        _seconds(out, "build", timeout),
        _seconds(out, "solve", timeout),
        _seconds(out, "total", timeout),
        memory,
        objective,
        _status(out),
        speed,
        agree,
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| problem | demand x sites | p | radius km | tool | build s | solve s | total s | "
    "peak MiB | objective | status | speed-up | same objective |"
)
RULE = "|" + "---|" * 13


SKIPPED = Outcome("skipped (a smaller size timed out)", {})


def _chain(tool: str, cases: list[Case], args, results: dict) -> None:
    """Run one tool on one problem, sizes in the given order; after a spopt timeout or
    memory failure the larger sizes with the same p and radius are skipped."""
    gave_up: dict[tuple, int] = {}  # (p, radius): the smallest size that failed
    for case in cases:
        setting = (case.sites_open, case.km)
        failed = setting in gave_up and case.n_demand > gave_up[setting]
        out = SKIPPED if failed else _measure(tool, case, args)
        if tool == "spopt" and out.state in ("timeout", "out of memory"):
            gave_up[setting] = min(gave_up.get(setting, case.n_demand), case.n_demand)
        results[tool, case] = out
        print(
            f"{tool} {case.label}: {out.state} {out.record}",
            file=sys.stderr,
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    if args.worker:
        tool, case = args.worker[0], Case(**json.loads(args.worker[1]))
        worker(tool, case, args.time_limit)
        return
    began = time.perf_counter()
    cases = _cases(args)
    tools = ("ours",) if args.skip_spopt else ("ours", "spopt")
    chains = [
        (tool, [c for c in cases if c.problem == problem])
        for tool in tools
        for problem in args.problems
    ]
    chains.sort(key=lambda chain: chain[0] != "spopt")  # the long spopt chains first
    results: dict[tuple[str, Case], Outcome] = {}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for future in [pool.submit(_chain, tool, chain, args, results) for tool, chain in chains]:
            future.result()
    rows: list[str] = []
    notes: dict[str, str] = {}
    radii: dict[str, float] = {}
    for case in cases:
        ours, theirs = results["ours", case], results.get(("spopt", case))
        for tool, out in (("ours", ours), ("spopt", theirs)):
            if out is not None and out.message:
                notes[f"{tool} {case.label}"] = out.message
        if ours.state == "done":
            radii[case.size] = ours.record["radius"]
        speed, agree = _speedup(ours, theirs, args.spopt_timeout), _agree(ours, theirs)
        rows.append(_row(case, "ours", ours, args.time_limit + WORKER_SLACK, speed, agree))
        if theirs is not None:
            rows.append(_row(case, "spopt", theirs, args.spopt_timeout, speed, agree))
    _report(args, rows, notes, radii, time.perf_counter() - began)


def _report(
    args, rows: list[str], notes: dict[str, str], radii: dict[str, float], seconds: float
) -> None:
    versions = [f"highspy {version('highspy')}"]
    if not args.skip_spopt:
        versions += [f"spopt {version('spopt')}", f"pulp {version('pulp')} (bundled CBC)"]
    print(
        f"## locate vs spopt: {args.layout} demand, uniform sites, 100 x 100 km, seed {args.seed}\n"
    )
    print(HEADER)
    print(RULE)
    print("\n".join(rows))
    shown = ", ".join(f"{size}: {r:g} km" for size, r in radii.items())
    if not args.radius:
        print(f"\nCoverage radius (about {SITES_IN_REACH:g} sites in reach): {shown}.")
    if not args.p:
        print("p = 10 / 15 / 20 for 200 / 500 / 1000 sites.")
    print(
        f"Ours: HiGHS, one thread, time limit {args.time_limit:g} s. spopt: CBC, wall "
        f"timeout {args.spopt_timeout:g} s. {args.jobs} run(s) at a time. Peak MiB: the "
        "run's peak resident size from the start of the build plus the sampled peak of its "
        "solver subprocess (CBC), in brackets the part above the resident size at that start "
        "(interpreter, imports, dense instance)."
    )
    for key, message in notes.items():
        print(f"- {key}: {message}")
    print(
        f"\n{'; '.join(versions)}; Python {platform.python_version()}; "
        f"{platform.machine()}; total wall time {seconds / 60:.1f} min."
    )


def _sizes(text: str) -> list[tuple[int, int]]:
    try:
        return [tuple(int(v) for v in part.lower().split("x")) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes: use DEMANDxSITES,... (got {text!r})") from None


def _numbers(kind):
    def parse(text: str) -> list:
        try:
            return [kind(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"use comma-separated numbers (got {text!r})"
            ) from None

    return parse


def _problems(text: str) -> list[str]:
    chosen = [p.strip() for p in text.split(",")]
    bad = [p for p in chosen if p not in PROBLEMS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown problem {bad[0]!r}; use {', '.join(PROBLEMS)}")
    return chosen


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(SIZES),
        help="comma-separated DEMANDxSITES (default 1000x200,3000x500,10000x1000)",
    )
    parser.add_argument(
        "--problems",
        type=_problems,
        default=list(PROBLEMS),
        help="comma-separated subset of lscp,mclp,p-median",
    )
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="clustered",
        help="demand points clustered like villages (default) or uniform",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        help="HiGHS time limit per run of ours, seconds (default 120)",
    )
    parser.add_argument(
        "--spopt-timeout",
        type=float,
        default=600.0,
        help="wall timeout per spopt run, seconds (default 600)",
    )
    parser.add_argument(
        "--p", type=_numbers(int), default=None, help="comma-separated p (mclp, p-median)"
    )
    parser.add_argument(
        "--radius",
        type=_numbers(float),
        default=None,
        help="comma-separated coverage radii, km (lscp, mclp; default: about 15 sites in reach)",
    )
    parser.add_argument("--skip-spopt", action="store_true", help="run ours only")
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="runs at a time, each in its own single-threaded process (default 2)",
    )
    parser.add_argument(
        "--memory-gib", type=float, default=16.0, help="address-space cap per run, GiB (default 16)"
    )
    parser.add_argument("--worker", nargs=2, metavar=("TOOL", "CASE"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
