"""Plan a synthetic province (many counties) with 1 and 2 Dask workers: wall time, speed-up,
peak memory.

The province is ``--counties`` synthetic counties (``geodata.synthetic.synthetic_county``
with seeds 1, 2, ...) of ``--villages`` villages and ``--sites`` sites each, laid side by
side and written to one GeoPackage whose layers (villages, sites, roads, boundary) carry a
``county`` column. One county-plan config with ``[regions] column = "county"`` plans every
county independently (hubs within 30 min, clinics within 15 min for 90 %, districts,
staffing; network travel times), exactly as ``healthplan solve`` does, for each worker count
in ``--workers`` (0 = one county after another in this process, no Dask).

Measured per row:
- wall seconds: ``run_batch`` from the start of the Dask cluster to the last file written;
- speed-up: wall seconds of the first row / this row;
- peak memory: the largest sum, over this process and all its descendants (the Dask nannies
  and worker processes; the scheduler runs in this process), of the resident set size,
  sampled every 0.1 s with psutil; and the largest single process's resident size.
The counties' plans must be identical in every row (checked; seconds aside). A CPU check
first times four pure-Python busy loops in one and in two processes: its speed-up is what the
machine can give two workers at that moment (other load on the cores lowers it).

    python -m benchmarks.province [--counties 100] [--villages 300] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import psutil

from geodata.synthetic import synthetic_county
from optimizer.batch.run import run_batch
from optimizer.config.batch import load_batch

MIB = 1024 * 1024
COUNTY_SIZE_M = (70_000.0, 60_000.0)  # spacing of the counties on the province grid

CONFIG = """
name = "synthetic province"

[regions]
column = "county"

[demand]
path = "province.gpkg"
layer = "villages"

[sites]
path = "province.gpkg"
layer = "sites"
kind = "kind"

[boundary]
path = "province.gpkg"
layer = "boundary"

[travel]
mode = "network"
roads = "province.gpkg"
roads_layer = "roads"
class_column = "road_class"
max_minutes = 45

[travel.class_speeds]
county = 60
township = 40
village = 25

[hub]
radius = 30
kinds = ["township_centre"]
fixed_kinds = ["county_hospital"]
share = 0.8

[clinic]
radius = 15
kinds = ["township_centre", "candidate"]
fixed_kinds = ["township_centre"]
share = 0.9

[districts]
max_minutes = 45

[staff.doctors]
min_hub = 5
min_clinic = 2

[solve]
time_limit = {time_limit}

[output]
formats = {formats}
"""


def write_province(folder: Path, counties: int, villages: int, sites: int) -> Path:
    """The province GeoPackage: every layer of every county with a ``county`` column."""
    layers: dict[str, list] = {"villages": [], "sites": [], "roads": [], "boundary": []}
    columns = max(1, round(counties**0.5))
    for k in range(counties):
        county = synthetic_county(villages, sites, seed=k + 1)
        dx = (k % columns) * COUNTY_SIZE_M[0]
        dy = (k // columns) * COUNTY_SIZE_M[1]
        name = f"county{k + 1:03d}"
        for key, frame in zip(
            layers, (county.demand, county.sites, county.roads, county.boundary), strict=True
        ):
            frame = frame.copy()
            frame["geometry"] = frame.geometry.translate(dx, dy)
            if "id" in frame.columns:
                frame["id"] = name + "-" + frame["id"].astype(str)
            frame.insert(0, "county", name)
            layers[key].append(frame)
    path = folder / "province.gpkg"
    for key, frames in layers.items():
        frame = pd.concat(frames, ignore_index=True)
        frame.to_file(path, layer=key, driver="GPKG", engine="pyogrio")
    return path


class PeakMemory:
    """Samples the summed resident size (MiB) of this process and its descendants."""

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.total = 0.0
        self.single = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._me = psutil.Process(os.getpid())

    def __enter__(self) -> PeakMemory:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        sizes = []
        for proc in [self._me, *self._me.children(recursive=True)]:
            try:
                sizes.append(proc.memory_info().rss / MIB)
            except psutil.Error:
                continue
        self.total = max(self.total, sum(sizes))
        self.single = max(self.single, max(sizes, default=0.0))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()


def _busy(_: int) -> float:
    """Seconds for a fixed pure-Python loop (the CPU check's unit of work)."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - start


def cpu_check() -> float:
    """Speed-up of four busy loops in two processes over the same in one process."""
    walls = []
    for processes in (1, 2):
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(_busy, range(processes)))  # start the processes first
            start = time.perf_counter()
            list(pool.map(_busy, range(4)))
            walls.append(time.perf_counter() - start)
    return walls[0] / walls[1]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.province", description=__doc__)
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--villages", type=int, default=300, help="villages per county")
    parser.add_argument("--sites", type=int, default=40, help="sites per county")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--time-limit", type=float, default=60, help="seconds per stage")
    parser.add_argument(
        "--formats",
        nargs="*",
        default=["gpkg", "csv"],
        help="outputs of each county (default gpkg csv; the report is always written)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="province-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        write_province(folder, args.counties, args.villages, args.sites)
        data_seconds = time.perf_counter() - start
        config = folder / "province.toml"
        config.write_text(
            CONFIG.format(time_limit=args.time_limit, formats=list(args.formats)),
            encoding="utf-8",
        )
        batch = load_batch(config)
        check = cpu_check()
        print(
            f"province: {args.counties} counties x {args.villages} villages, {args.sites} sites "
            f"each; data written in {data_seconds:.1f} s; "
            f"{os.cpu_count()} CPU cores; {os.getloadavg()[0]:.1f} load average at start; "
            f"CPU check: 2 processes {check:.2f}x as fast as 1\n"
        )
        rows, tables = [], []
        for workers in args.workers:
            with PeakMemory() as memory:
                start = time.perf_counter()
                run = run_batch(batch, folder / f"out-{workers}", workers=workers)
                seconds = time.perf_counter() - start
            table = pd.read_csv(folder / f"out-{workers}" / "results.csv")
            tables.append(table.drop(columns=["seconds", "solve_seconds"]))
            rows.append(
                {
                    "workers": workers if workers else "0 (no Dask)",
                    "counties": len(run.results),
                    "failed": len(run.failed),
                    "wall s": seconds,
                    "mean s per county": float(table["seconds"].mean()),
                    "peak MiB (sum)": memory.total,
                    "peak MiB (largest process)": memory.single,
                    "load avg": os.getloadavg()[0],
                }
            )
        out = pd.DataFrame(rows)
        out["speed-up"] = out["wall s"].iloc[0] / out["wall s"]
        same = all(t.equals(tables[0]) for t in tables[1:])
        print(markdown(out))
        print(f"\nplans identical across rows: {'yes' if same else 'NO'}")
        for failed in run.failed[:5]:
            print(f"failed: {failed.label}: {failed.error}")


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown, numbers with two decimals."""
    cells = [
        [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
        for row in table.itertuples(index=False)
    ]
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---:|" * table.shape[1]]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


if __name__ == "__main__":
    main()
