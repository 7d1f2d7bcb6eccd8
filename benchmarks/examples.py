"""Time every example region end to end (``healthplan solve``), as a planner runs it.

Each run is a fresh process running the command line into a temporary folder; the table gives,
per example, the wall seconds of the fastest of ``--repeat`` runs, that run's seconds per step
(start: interpreter, imports and config before the first step; the steps of the progress
display; end: the summary screen and exit), the solver stages' seconds (stages.csv), the peak
resident memory and the demand units and sites of the plan.

    python benchmarks/examples.py                     # qingyuan, yaan, kangbashi, synthetic
    python benchmarks/examples.py --examples qingyuan --repeat 3
    python benchmarks/examples.py --root ../main      # the same table for another checkout
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("qingyuan", "yaan", "kangbashi", "synthetic")
#: Columns of the step seconds, by the progress step names that fall in each.
STEPS = {
    "read": ("reading demand", "reading sites"),
    "travel": ("travel times",),
    "solve": ("solving",),
    "districts": ("districts",),
    "compare": ("comparing",),
    "write": ("writing outputs",),
}


def worker(config: str, out: str, marks: str) -> None:
    """Run ``healthplan solve config --out out`` in this process, appending each step's
    start (epoch seconds) to the JSON lines file ``marks``."""
    from optimizer import cli, solve_cli

    def mark(name: str) -> None:
        with open(marks, "a", encoding="utf-8") as f:
            f.write(json.dumps({"step": name, "at": time.time()}) + "\n")

    real_run, real_write = solve_cli.run, solve_cli.write

    def timed_run(cfg, *, progress=None, source="config"):
        def step(name: str) -> None:
            mark(name)
            if progress is not None:
                progress(name)

        return real_run(cfg, progress=step, source=source)

    def timed_write(*args, **kwargs):
        mark("writing outputs")
        files = real_write(*args, **kwargs)
        mark("summary")
        return files

    solve_cli.run, solve_cli.write = timed_run, timed_write
    try:
        cli.app(["solve", config, "--out", out], prog_name="healthplan")
    except SystemExit as exc:
        if exc.code:
            raise


def measure(root: Path, name: str, python: str) -> dict:
    """One run of ``name`` in ``root``: wall seconds, step seconds, peak MiB, exit code."""
    with tempfile.TemporaryDirectory(prefix="bench-examples-") as tmp:
        out, marks = Path(tmp) / name, Path(tmp) / "marks.jsonl"
        env = dict(os.environ, PYTHONPATH=str(root))
        argv = [python, str(Path(__file__).resolve()), "--worker", f"examples/{name}.toml"]
        began = time.time()
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*argv, str(out), str(marks)],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        ended = began + wall
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        proc.stderr.close()
        lines = marks.read_text(encoding="utf-8").splitlines() if marks.is_file() else []
        steps = [json.loads(line) for line in lines]
        seconds: dict[str, float] = {}
        for k, s in enumerate(steps):
            until = steps[k + 1]["at"] if k + 1 < len(steps) else ended
            seconds[s["step"]] = seconds.get(s["step"], 0.0) + until - s["at"]
        row = {
            "wall": wall,
            "exit": proc.returncode,
            "start": (steps[0]["at"] - began) if steps else float("nan"),
            "end": seconds.pop("summary", float("nan")),
            "peak": usage.ru_maxrss / 1024,  # KiB on Linux
            "error": (err.strip().splitlines() or [""])[-1] if proc.returncode else "",
        }
        for column, names in STEPS.items():
            row[column] = sum(seconds.get(n, 0.0) for n in names) if steps else float("nan")
        row["stages"] = row["units"] = row["sites"] = float("nan")
        if (out / "stages.csv").is_file():
            import pandas as pd

            row["stages"] = float(pd.read_csv(out / "stages.csv")["seconds"].sum())
        if (out / "plan.gpkg").is_file():
            import pyogrio

            row["units"] = pyogrio.read_info(out / "plan.gpkg", layer="assignments")["features"]
            row["sites"] = pyogrio.read_info(out / "plan.gpkg", layer="sites")["features"]
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", default=",".join(EXAMPLES), help="comma-separated names")
    parser.add_argument("--repeat", type=int, default=1, help="runs per example (fastest shown)")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to run (its examples)")
    parser.add_argument("--python", default=sys.executable, help="interpreter to run it with")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    columns = ["start", *STEPS, "end"]
    print(f"root: {args.root.resolve()}; fastest of {args.repeat} run(s); seconds, MiB")
    print(
        "| example | exit | units | sites | wall s | "
        + " | ".join(columns)
        + " | solver stages s | peak MiB |"
    )
    print("|---|---:|---:|---:|---:|" + "---:|" * len(columns) + "---:|---:|")
    for name in args.examples.split(","):
        runs = [measure(args.root.resolve(), name, args.python) for _ in range(args.repeat)]
        ok = [r for r in runs if r["exit"] == 0] or runs
        best = min(ok, key=lambda r: r["wall"])
        walls = ", ".join(f"{r['wall']:.1f}" for r in runs)
        cells = " | ".join(f"{best[c]:.2f}" for c in columns)
        print(
            f"| {name} | {best['exit']} | {best['units']} | {best['sites']} | "
            f"{best['wall']:.2f} | {cells} | {best['stages']:.2f} | {best['peak']:.0f} |"
        )
        if args.repeat > 1:
            print(f"<!-- {name}: wall of every run {walls} -->", file=sys.stderr)
        if best["exit"]:
            print(f"<!-- {name}: {best['error']} -->", file=sys.stderr)


if __name__ == "__main__":
    main()
