"""An interactive HTML map of a county plan (folium / Leaflet), readable without a network.

Leaflet's script and style sheet (``optimizer/outputs/static/leaflet``) are inlined as data URLs, so
the page needs no CDN; there is no background tile layer unless ``tiles`` names one. One
layer per output: boundary, districts, reach areas, demand units (beyond-radius units apart)
and sites by level, each with popups (population served, staff by type and, for a phased
plan, the opening years).
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from geodata.i18n import gettext as _
from optimizer.county_spec import CountyPlan
from optimizer.outputs.labels import heading, value_text

STATIC = Path(__file__).resolve().parent / "static" / "leaflet"
WGS84 = "EPSG:4326"
SITE_COLOURS = {
    ("hub", "existing"): "#d62728",
    ("hub", "new"): "#ff9896",
    ("clinic", "existing"): "#1f77b4",
    ("clinic", "new"): "#aec7e8",
}


@cache
def _leaflet_urls() -> tuple[str, str]:
    """Leaflet's script and style sheet as data URLs (the CSS images inlined too)."""
    css = (STATIC / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        image = STATIC / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    js = (STATIC / "leaflet.js").read_bytes()
    return (
        "data:text/javascript;base64," + base64.b64encode(js).decode("ascii"),
        "data:text/css;base64," + base64.b64encode(css.encode("utf-8")).decode("ascii"),
    )


class OfflineMap(folium.Map):
    """A folium map whose only assets are Leaflet's, inlined (no CDN, no jQuery/Bootstrap)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        js, css = _leaflet_urls()
        self.default_js = [("leaflet", js)]
        self.default_css = [("leaflet_css", css)]


def write_web_map(
    plan: CountyPlan,
    path: str | Path,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    reach: gpd.GeoDataFrame | None = None,
    title: str = "",
    tiles: str | None = None,
) -> Path:
    """Write the plan as one self-contained HTML page with a layer per output.

    Args:
        plan: the plan (any CRS; drawn in WGS84) with district polygons.
        path: HTML file to write.
        boundary: county outline polygons.
        reach: polygons of each open site's reach (columns ``site_id``, ``level``,
            ``minutes``), e.g. from ``optimizer.outputs.county_map.reach_areas``.
        title: page title.
        tiles: a folium tile layer name for a background (needs a network); None for none.

    Returns:
        ``path``.
    """
    path = Path(path)
    sites = plan.sites.to_crs(WGS84)
    units = plan.assignments.to_crs(WGS84)
    west, south, east, north = units.total_bounds if len(units) else sites.total_bounds
    fmap = OfflineMap(tiles=tiles, control_scale=True, prefer_canvas=True)
    fmap.get_root().header.add_child(folium.Element(f"<title>{_escape(title)}</title>"))
    fmap.fit_bounds([[south, west], [north, east]])
    if boundary is not None and len(boundary):
        layer = folium.FeatureGroup(name=_("boundary"))
        folium.GeoJson(
            boundary.to_crs(WGS84)[["geometry"]].to_json(),
            style_function=lambda _f: {"color": "#000000", "weight": 2, "fillOpacity": 0},
            interactive=False,
        ).add_to(layer)
        layer.add_to(fmap)
    _districts(plan, fmap)
    if reach is not None and len(reach):
        for (level, minutes), group in reach.to_crs(WGS84).groupby(["level", "minutes"]):
            name = _("hub reach ({minutes} min)")
            if level != "hub":
                name = _("clinic reach ({minutes} min)")
            layer = folium.FeatureGroup(name=name.format(minutes=f"{minutes:g}"))
            colour = "#d62728" if level == "hub" else "#1f77b4"
            folium.GeoJson(
                group[["site_id", "geometry"]].to_json(),
                style_function=lambda _f, c=colour: {
                    "color": c,
                    "weight": 1,
                    "fillColor": c,
                    "fillOpacity": 0.08,
                },
                interactive=False,
            ).add_to(layer)
            layer.add_to(fmap)
    _units(units, fmap)
    _sites(sites, plan, fmap)
    _routes(plan, fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    path.write_bytes(stable_ids(fmap.get_root().render()).encode("utf-8"))
    return path


def stable_ids(html: str) -> str:
    """The page with folium's random element ids (``map_<32 hex>``) numbered in order of
    first use, so the same plan gives the same bytes."""
    ids: dict[str, str] = {}

    def number(match: re.Match) -> str:
        return ids.setdefault(match[0], f"{len(ids):032x}")

    return re.sub(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])", number, html)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _districts(plan: CountyPlan, fmap: folium.Map) -> None:
    districts = plan.districts
    if not isinstance(districts, gpd.GeoDataFrame) or not len(districts):
        return
    frame = districts.to_crs(WGS84)[["hub_id", "name", "population", "n_units", "geometry"]]
    palette = colormaps["Pastel1"].colors + colormaps["Pastel2"].colors
    frame = frame.assign(
        colour=[to_hex(palette[k % len(palette)]) for k in range(len(frame))],
        population=frame["population"].round(0),
    )
    layer = folium.FeatureGroup(name=_("districts"))
    folium.GeoJson(
        frame.to_json(),
        style_function=lambda f: {
            "color": "#666666",
            "weight": 1,
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.5,
        },
        popup=folium.GeoJsonPopup(
            fields=["name", "population", "n_units"],
            aliases=[_("district hub"), _("population"), _("villages")],
        ),
    ).add_to(layer)
    layer.add_to(fmap)


def _points(
    frame: gpd.GeoDataFrame,
    name: str,
    fields: dict[str, str],
    style: dict[str, object],
    radius: np.ndarray,
    fmap: folium.Map,
) -> None:
    """One layer of circle markers with a popup of ``fields`` (column -> label)."""
    data = frame[[*fields, "geometry"]].copy()
    data["radius"] = radius
    layer = folium.FeatureGroup(name=name)
    folium.GeoJson(
        data.to_json(),
        marker=folium.CircleMarker(),
        style_function=lambda f, st=style: {**st, "radius": f["properties"]["radius"]},
        popup=folium.GeoJsonPopup(fields=list(fields), aliases=list(fields.values())),
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(layer)
    layer.add_to(fmap)


def _units(units: gpd.GeoDataFrame, fmap: folium.Map) -> None:
    population = units["population"].to_numpy(dtype=float)
    top = float(population.max()) if len(population) and population.max() > 0 else 1.0
    far = (
        units["unreachable"].astype(str).to_numpy() != ""
        if "unreachable" in units
        else np.zeros(len(units), dtype=bool)
    )
    shown = units.assign(
        population=population.round(0),
        minutes=units["minutes"].astype(float).round(1),
        hub_minutes=units["hub_minutes"].astype(float).round(1),
    ).fillna({"site_id": "", "hub_id": ""})
    fields = {
        "name": _("village"),
        "demand_id": _("id"),
        "population": _("population"),
        "site_id": _("primary care"),
        "minutes": _("minutes"),
        "hub_id": _("hub"),
        "hub_minutes": _("minutes to hub"),
    }
    for name, mask, colour in (
        (_("villages and communities"), ~far, "#444444"),
        (_("beyond every possible site's radius"), far, "#d62728"),
    ):
        if mask.any():
            style = {
                "color": colour,
                "weight": 1,
                "fill": True,
                "fillColor": colour,
                "fillOpacity": 0.6,
            }
            radius = 2 + 8 * (population[mask] / top) ** 0.5
            _points(shown[mask], name, fields, style, radius, fmap)


def _sites(sites: gpd.GeoDataFrame, plan: CountyPlan, fmap: folium.Map) -> None:
    staff = [t for t in plan.staffing["staff_type"] if t in sites.columns]
    fields = {
        "name": _("site"),
        "site_id": _("id"),
        "level": _("level"),
        "status": _("status"),
        "population_served": _("population served"),
        "district_population": _("district population"),
        **{t: t for t in staff},
    }
    years = [c for c in ("open_year", "hub_year") if c in sites.columns]
    fields.update({c: heading(c) for c in years})
    rounded = {c: sites[c].astype(float).round(1) for c in ("population_served", *staff)}
    shown = sites.assign(
        **rounded,
        **{c: sites[c].astype("string").fillna("") for c in years},
        district_population=sites["district_population"].round(0),
        level=sites["level"].map(value_text),
        status=sites["status"].map(value_text),
    )
    names = {
        ("hub", "existing"): _("hubs, existing"),
        ("hub", "new"): _("hubs, new"),
        ("clinic", "existing"): _("clinics, existing"),
        ("clinic", "new"): _("clinics, new"),
    }
    for (level, status), colour in SITE_COLOURS.items():
        mask = ((sites["level"] == level) & (sites["status"] == status)).to_numpy()
        if mask.any():
            style = {
                "color": "#000000",
                "weight": 1,
                "fill": True,
                "fillColor": colour,
                "fillOpacity": 1,
            }
            radius = np.full(int(mask.sum()), 9 if level == "hub" else 6)
            _points(shown[mask], names[level, status], fields, style, radius, fmap)


def _routes(plan: CountyPlan, fmap: folium.Map) -> None:
    """A layer per roaming vehicle: its day-routes as lines (one per route, with the days it
    drives it) with a timetable popup (arrival minute at each stop after leaving the base),
    and a layer of the stops."""
    routes, stops = plan.routes, plan.stops
    if routes is None or not len(routes) or stops is None:
        return
    routes, stops = routes.to_crs(WGS84), stops.to_crs(WGS84)
    stop = _("{order}. {name} {minute} min")
    timetable = {
        key: _("; ").join(
            stop.format(order=o, name=n, minute=f"{a:.0f}")
            for o, n, a in zip(g["stop_order"], g["name"], g["arrival_minute"], strict=True)
        )
        for key, g in stops.sort_values("stop_order").groupby(["vehicle", "route_id"])
    }
    palette = colormaps["tab10"].colors
    for k, (vehicle, group) in enumerate(routes.groupby("vehicle")):
        lines = (
            group.groupby("route_id", sort=True)
            .agg(
                days=("day", lambda d: ", ".join(str(x) for x in sorted(d))),
                base=("base_name", "first"),
                minutes=("minutes", "first"),
                km=("km", "first"),
                geometry=("geometry", "first"),
            )
            .reset_index()
        )
        lines["vehicle"] = vehicle
        lines["minutes"] = lines["minutes"].round(0)
        lines["km"] = lines["km"].round(1)
        lines["stops"] = [timetable.get((vehicle, r), "") for r in lines["route_id"]]
        frame = gpd.GeoDataFrame(lines, geometry="geometry", crs=WGS84)
        colour = to_hex(palette[k % len(palette)])
        layer = folium.FeatureGroup(name=_("roaming vehicle {n}").format(n=vehicle))
        folium.GeoJson(
            frame.to_json(),
            style_function=lambda _f, c=colour: {"color": c, "weight": 3, "opacity": 0.8},
            popup=folium.GeoJsonPopup(
                fields=["vehicle", "route_id", "days", "base", "minutes", "km", "stops"],
                aliases=[
                    _("vehicle"),
                    _("route"),
                    _("days"),
                    _("base"),
                    _("minutes"),
                    _("km"),
                    _("stops (arrival minute)"),
                ],
            ),
        ).add_to(layer)
        layer.add_to(fmap)
    points = stops.drop_duplicates(["vehicle", "route_id", "demand_id"]).copy()
    points["arrival_minute"] = points["arrival_minute"].round(0)
    fields = {
        "name": _("village"),
        "vehicle": _("vehicle"),
        "route_id": _("route"),
        "stop_order": _("stop"),
        "arrival_minute": _("arrival minute"),
    }
    style = {"color": "#333333", "weight": 1, "fillColor": "#ffdd57", "fillOpacity": 0.9}
    _points(points, _("roaming stops"), fields, style, np.full(len(points), 4.0), fmap)
