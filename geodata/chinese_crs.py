"""The Chinese map offsets GCJ-02 (Amap, Tencent) and BD-09 (Baidu), to and from WGS84.

GCJ-02 adds to WGS84 longitude/latitude (degrees) an offset of a few hundred metres given by the
published forward formula on the Krasovsky 1940 ellipsoid; BD-09 adds Baidu's published
offset to GCJ-02. Neither has a PROJ definition. The forward transforms are the published
formulas; the inverses solve them by fixed-point iteration to well under 1 mm. Points outside
the published rectangle of China are left unchanged by the GCJ-02 step.
"""

from __future__ import annotations

import numpy as np

from .i18n import N_

GCJ02 = "GCJ-02"
BD09 = "BD-09"
ALIASES = {"gcj-02": GCJ02, "gcj02": GCJ02, "bd-09": BD09, "bd09": BD09}
WHO = {GCJ02: N_("Amap/Tencent coordinates"), BD09: N_("Baidu coordinates")}

# Krasovsky 1940 ellipsoid: semi-major axis (metres) and first eccentricity squared.
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
# Baidu's offset: constant shift (degrees) and the angle factor of its wobble (radians/degree).
BD_DLON = 0.0065
BD_DLAT = 0.0060
BD_X_PI = np.pi * 3000.0 / 180.0
# The published rectangle of China (degrees) outside which GCJ-02 leaves points unchanged.
CHINA_LON = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)

METRES_PER_DEGREE = 111_319.49  # along the equator; enough to judge a convergence tolerance
TOLERANCE_M = 1e-4  # inverse: largest round-trip error accepted (metres)
MAX_ITERATIONS = 30

Array = np.ndarray


def chinese_crs_name(crs: object) -> str | None:
    """``"GCJ-02"`` or ``"BD-09"`` when `crs` names one (any case, with or without the dash),
    else None."""
    if not isinstance(crs, str):
        return None
    return ALIASES.get(crs.strip().lower())


def out_of_china(lon: Array, lat: Array) -> Array:
    """True where a point (degrees) lies outside the published rectangle of China."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon < CHINA_LON[0]) | (lon > CHINA_LON[1]) | (lat < CHINA_LAT[0]) | (lat > CHINA_LAT[1])


def _offset_metres(x: Array, y: Array) -> tuple[Array, Array]:
    """GCJ-02 offset (east, north; metres on the Krasovsky ellipsoid) at x = lon - 105,
    y = lat - 35 (degrees)."""
    pi = np.pi
    shared = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    north = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + shared
        + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    east = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + shared
        + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    return east, north


def wgs84_to_gcj02(lon: Array, lat: Array) -> tuple[Array, Array]:
    """WGS84 longitude/latitude (degrees) to GCJ-02 (degrees); outside China unchanged."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    east, north = _offset_metres(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (north * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (east * 180.0) / (KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_bd09(lon: Array, lat: Array) -> tuple[Array, Array]:
    """GCJ-02 longitude/latitude (degrees) to BD-09 (degrees)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * BD_X_PI)
    return z * np.cos(theta) + BD_DLON, z * np.sin(theta) + BD_DLAT


def wgs84_to_bd09(lon: Array, lat: Array) -> tuple[Array, Array]:
    """WGS84 longitude/latitude (degrees) to BD-09 (degrees): GCJ-02, then Baidu's offset."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


FORWARD = {GCJ02: wgs84_to_gcj02, BD09: wgs84_to_bd09}


def to_wgs84(lon: Array, lat: Array, crs: str) -> tuple[Array, Array]:
    """Longitude/latitude (degrees) in GCJ-02 or BD-09 (`crs`, any spelling
    ``chinese_crs_name`` accepts) to WGS84 (degrees).

    Inverts the forward transform by fixed-point iteration (w <- w - (forward(w) - given))
    until every round trip is within ``TOLERANCE_M`` metres; a few iterations, as the offset
    changes by less than 1 % of itself over its own length.
    """
    name = chinese_crs_name(crs)
    if name is None:
        raise ValueError(f"{crs!r} is neither GCJ-02 nor BD-09")
    forward = FORWARD[name]
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon.copy(), lat.copy()
    for _ in range(MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        error = np.hypot(dx * np.cos(np.radians(lat)), dy) * METRES_PER_DEGREE
        if not error.size or np.nanmax(error) < TOLERANCE_M:
            break
    return x, y


def coordinates_to_wgs84(coords: Array, crs: str) -> Array:
    """An (n, 2) array of longitude/latitude (degrees) in GCJ-02 or BD-09 to WGS84; for
    ``shapely.transform``, which converts every vertex of a geometry."""
    lon, lat = to_wgs84(coords[:, 0], coords[:, 1], crs)
    return np.column_stack([lon, lat])
