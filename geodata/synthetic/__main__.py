"""Write a synthetic county to a GeoPackage: ``python -m geodata.synthetic --out FILE.gpkg``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from .county import SyntheticCounty, synthetic_county


def write_gpkg(county: SyntheticCounty, out: Path, seed: int) -> None:
    """Write layers villages, sites, roads and boundary to a GeoPackage, replacing `out` whole."""
    partial = out.with_name(f".{out.stem}.partial.gpkg")
    partial.unlink(missing_ok=True)
    note = {"DESCRIPTION": f"Synthetic data from geodata.synthetic (seed {seed}); not real places"}
    layers = {
        "villages": county.demand,
        "sites": county.sites,
        "roads": county.roads,
        "boundary": county.boundary,
    }
    try:
        for layer, frame in layers.items():
            frame.to_file(partial, layer=layer, driver="GPKG", metadata=note)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``--out FILE.gpkg [--villages N] [--sites M] [--seed S]`` and write the county."""
    parser = argparse.ArgumentParser(
        prog="python -m geodata.synthetic", description="Write a synthetic county to a GeoPackage."
    )
    parser.add_argument("--out", type=Path, required=True, help="GeoPackage to write")
    parser.add_argument("--villages", type=int, default=300, help="demand units (default 300)")
    parser.add_argument("--sites", type=int, default=40, help="sites (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.out.suffix.lower() != ".gpkg":
        parser.error(f"--out {args.out}: give a file name ending in .gpkg")
    if not args.out.parent.is_dir():
        parser.error(f"--out {args.out}: folder {args.out.parent} does not exist; create it first")
    try:
        county = synthetic_county(args.villages, args.sites, seed=args.seed)
    except InputError as exc:
        parser.error(str(exc))
    write_gpkg(county, args.out, args.seed)
    print(
        f"wrote {args.out}: {len(county.demand)} villages, {len(county.sites)} sites, "
        f"{len(county.roads)} roads (synthetic, EPSG:32650)"
    )


if __name__ == "__main__":
    main()
