"""Time every example region end to end (``healthplan solve``), as a planner runs it.

Each example runs in a fresh process into a temporary folder; prints a Markdown table of wall
seconds, demand units, sites and stage seconds (from stages.csv).

    python benchmarks/examples.py                     # qingyuan, yaan, kangbashi, synthetic
    python benchmarks/examples.py --examples yaan
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("qingyuan", "yaan", "kangbashi", "synthetic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", default=",".join(EXAMPLES), help="comma-separated names")
    args = parser.parse_args()
    print("| example | seconds | exit | demand units | sites | solve stages (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.examples.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / name
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "optimizer", "solve", f"examples/{name}.toml", "--out", out],
                cwd=ROOT,
                capture_output=True,
            )
            seconds = time.perf_counter() - start
            units = sites = stages = float("nan")
            if (out / "plan.gpkg").is_file():
                units = len(gpd.read_file(out / "plan.gpkg", layer="assignments"))
                sites = len(gpd.read_file(out / "plan.gpkg", layer="sites"))
            if (out / "stages.csv").is_file():
                stages = float(pd.read_csv(out / "stages.csv")["seconds"].sum())
            print(
                f"| {name} | {seconds:.1f} | {done.returncode} | {units} | {sites} | {stages:.1f} |"
            )


if __name__ == "__main__":
    main()
