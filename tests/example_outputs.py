"""Every example config's outputs as plain tables, and the reference copies they are checked
against (``tests/reference/<example>/``).

A snapshot holds every GeoPackage layer (attributes and geometry as WKT) and every CSV of an
output folder, sweeps included, except the columns and rows that hold seconds. Write the
references from the current code with

    .venv/bin/python tests/example_outputs.py

and commit them; ``tests/test_example_outputs.py`` then checks that later code writes the
same plans.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parent / "reference"
EXAMPLES = ("synthetic", "county", "qingyuan", "yaan", "yaan_phased", "kangbashi", "sweep")

# Columns and summary items that hold seconds (they differ run to run).
TIMING_COLUMNS = {"seconds", "solve_seconds"}
TIMING_ITEMS = {"seconds", "seconds_build", "seconds_solve"}


def snapshot(folder: Path) -> dict[str, pd.DataFrame]:
    """Every layer and CSV below ``folder`` as a table of text and numbers, keyed by its path
    (``plan.gpkg/sites``, ``summary.csv``, ``scenarios/.../stages.csv``)."""
    tables: dict[str, pd.DataFrame] = {}
    for path in sorted(folder.rglob("*.gpkg")):
        for layer, _ in pyogrio.list_layers(path):
            frame = pyogrio.read_dataframe(path, layer=layer)
            table = pd.DataFrame(frame.drop(columns="geometry"))
            table["geometry"] = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=7)
            tables[f"{path.relative_to(folder)}/{layer}"] = table
    for path in sorted(folder.rglob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        tables[str(path.relative_to(folder))] = table
    return {name: _as_text(_without_timings(table)) for name, table in tables.items()}


def _without_timings(table: pd.DataFrame) -> pd.DataFrame:
    table = table.drop(columns=[c for c in table.columns if c in TIMING_COLUMNS])
    if list(table.columns[:2]) == ["item", "value"]:
        table = table[~table["item"].isin(TIMING_ITEMS)]
    return table.reset_index(drop=True)


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """The table as its CSV file gives it back: every cell text, missing values empty."""
    return pd.read_csv(io.StringIO(table.to_csv(index=False)), dtype=str, keep_default_na=False)


def differences(got: pd.DataFrame, want: pd.DataFrame) -> list[str]:
    """Where two snapshot tables differ: columns, rows, or cells (numbers compared to a
    relative 1e-9, geometry to 1e-6 degrees or metres)."""
    if list(got.columns) != list(want.columns):
        return [f"columns {list(got.columns)} != {list(want.columns)}"]
    if len(got) != len(want):
        return [f"{len(got)} rows != {len(want)}"]
    found = []
    for column in got.columns:
        a, b = got[column].to_numpy(dtype=str), want[column].to_numpy(dtype=str)
        if column == "geometry":
            same = shapely.equals_exact(shapely.from_wkt(a), shapely.from_wkt(b), tolerance=1e-6)
            same |= a == b
        else:
            x, y = (
                pd.to_numeric(pd.Series(a), errors="coerce"),
                pd.to_numeric(pd.Series(b), errors="coerce"),
            )
            numeric = x.notna() & y.notna()
            same = a == b
            same |= numeric.to_numpy() & np.isclose(x, y, rtol=1e-9, atol=1e-9)
        for row in np.flatnonzero(~same)[:3]:
            found.append(f"row {row} {column}: {a[row][:80]!r} != {b[row][:80]!r}")
    return found


def write_references(names: tuple[str, ...] = EXAMPLES) -> None:
    """Run each example into a temporary folder and keep its snapshot as CSV files."""
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / name
            command = [sys.executable, "-m", "optimizer", "solve", f"examples/{name}.toml"]
            subprocess.run([*command, "--out", str(out)], cwd=ROOT, check=True)
            target = REFERENCE / name
            shutil.rmtree(target, ignore_errors=True)
            for key, table in snapshot(out).items():
                path = target / f"{key.replace('/', '__')}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                table.to_csv(path, index=False, encoding="utf-8")


def references(name: str) -> dict[str, pd.DataFrame]:
    """The committed snapshot of example ``name``."""
    return {
        path.stem.replace("__", "/"): pd.read_csv(path, dtype=str, keep_default_na=False)
        for path in sorted((REFERENCE / name).glob("*.csv"))
    }


if __name__ == "__main__":
    write_references(tuple(sys.argv[1:]) or EXAMPLES)
