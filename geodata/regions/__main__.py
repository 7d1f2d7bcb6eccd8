"""Write the example regions' GeoPackages: ``python -m geodata.regions [SOURCES] [--out DIR]``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from .build import build_region
from .spec import REGIONS, Region

PROJECT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCES = PROJECT.parent / "shared" / "geodata-sources"
DEFAULT_OUT = PROJECT / "geodata" / "data"
LAYERS = ("boundary", "townships", "demand", "sites")


def write_region(sources: Path, region: Region, out_dir: Path) -> Path:
    """Build one region and write ``<out_dir>/<key>.gpkg``, replacing it whole."""
    layers = build_region(sources, region)
    out = out_dir / f"{region.key}.gpkg"
    partial = out.with_name(f".{out.stem}.partial.gpkg")
    partial.unlink(missing_ok=True)
    note = {
        "DESCRIPTION": f"{region.name}: public facts plus seeded synthetic fields "
        f"(seed {region.seed}); see SOURCES.md; the synthetic column names them"
    }
    try:
        for name in LAYERS:
            layers[name].to_file(partial, layer=name, driver="GPKG", metadata=note)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``[SOURCES] [--out DIR] [--region KEY ...]`` and write the GeoPackages."""
    parser = argparse.ArgumentParser(
        prog="python -m geodata.regions",
        description="Build the example regions' GeoPackages from geodata-sources.",
    )
    parser.add_argument(
        "sources",
        nargs="?",
        type=Path,
        default=DEFAULT_SOURCES,
        help=f"the geodata-sources folder (default {DEFAULT_SOURCES})",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write into")
    parser.add_argument(
        "--region", choices=sorted(REGIONS), action="append", help="only these (repeatable)"
    )
    args = parser.parse_args(argv)
    if not args.out.is_dir():
        parser.error(f"--out {args.out}: folder does not exist; create it first")
    try:
        for key in args.region or sorted(REGIONS):
            print(write_region(args.sources, REGIONS[key], args.out))
    except InputError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
