"""The three example regions: which counties, where their facts live, and the documented
travel assumptions (straight line x circuity / speed) used by their example configs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """One example region built from ``geodata-sources``.

    ``circuity`` (road km per straight km) and ``speed_kmh`` are the documented travel
    assumptions of the region: about 1.3 and 25-30 km/h in towns, 1.5-1.8 and 30-40 km/h in
    mountain counties. ``urban_radius_km`` is how far from the township seat an urban
    community is placed; ``missing_seat_km`` limits where a township seat with no known point
    is placed (within this many km of the county seat; None: anywhere in its county).
    """

    key: str
    name: str
    folder: str  # derived tables under geodata-sources
    counties: tuple[str, ...]  # 6-digit county codes
    terrain: str  # "urban" or "mountain"
    circuity: float
    speed_kmh: float
    urban_radius_km: float
    missing_seat_km: float | None = None
    seed: int = 20201101  # census day; one seed per region, stated in the layers


REGIONS: dict[str, Region] = {
    "qingyuan": Region(
        key="qingyuan",
        name="庆元县",
        folder="qingyuan",
        counties=("331126",),
        terrain="mountain",
        circuity=1.7,
        speed_kmh=35.0,
        urban_radius_km=1.5,
    ),
    "yaan": Region(
        key="yaan",
        name="雅安市",
        folder="yaan",
        counties=("511802", "511803", "511822", "511823", "511824", "511825", "511826", "511827"),
        terrain="mountain",
        circuity=1.6,
        speed_kmh=35.0,
        urban_radius_km=1.5,
    ),
    "kangbashi": Region(
        key="kangbashi",
        name="康巴什区",
        folder="kangbashi",
        counties=("150603",),
        terrain="urban",
        circuity=1.3,
        speed_kmh=25.0,
        urban_radius_km=4.0,
        missing_seat_km=6.0,
    ),
}
