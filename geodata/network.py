"""Travel times on a road network (one-way streets included): walk to the nearest node, drive
the shortest path, walk on."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from .crs import to_metric
from .errors import InputError
from .i18n import gettext as _
from .messages import frame_label, frame_rows, listing
from .travel import TravelTimes, frame_ids, from_pairs, point_xy, positive

#: Road vertices closer than this (metres, after rounding to a grid of this size) are one node.
SNAP_M = 0.1
#: Shortest-path sources per Dijkstra run; bounds memory to CHUNK x nodes distances.
CHUNK = 256

LINE_TYPES = (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING)


def network_minutes(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    speed_column: str | None = None,
    class_column: str | None = None,
    class_speeds: Mapping[str, float] | None = None,
    default_speed_kmh: float = 30.0,
    access_speed_kmh: float = 5.0,
    direction_column: str | None = None,
    max_minutes: float,
) -> TravelTimes:
    """Minutes from each demand unit to each site over a road network.

    The graph's nodes are the roads' vertices (snapped to a 0.1 m grid, so lines meeting at a
    shared vertex connect; lines that cross without one do not). A segment takes length km /
    speed km/h x 60 minutes, the speed coming from `speed_column` (km/h), or from
    `class_speeds[road class]` for the value in `class_column`, or `default_speed_kmh` for every
    road; give at most one of the two columns. Roads are driven both ways unless
    `direction_column` says otherwise: 1 along the line's vertex order only, -1 against it
    only, 0 both ways (one-way streets). Each demand unit and site joins the nearest point of
    its nearest road segment (the foot of the perpendicular, or an end), splitting the segment
    there, by an access leg at `access_speed_kmh` over the straight distance (metres).
    Minutes = access + shortest path + access; only pairs within `max_minutes` are kept. All
    lengths are measured in the metric CRS of the demand (``to_metric``).
    """
    limit = positive("max_minutes", max_minutes)
    access_speed = positive("access_speed_kmh", access_speed_kmh)
    demand_m = to_metric(demand)
    sites_m = to_metric(sites, demand_m.crs)
    roads_m = to_metric(_checked_roads(roads), demand_m.crs)
    speeds = _road_speeds(roads_m, speed_column, class_column, class_speeds, default_speed_kmh)
    directions = _road_directions(roads_m, direction_column)
    graph, node_xy = _road_graph(roads_m.geometry.values, speeds, directions)

    points = np.vstack([point_xy(demand_m, "demand"), point_xy(sites_m, "sites")])
    graph, node, metres = _join_points(graph, node_xy, points)
    access = metres / 1000.0 / access_speed * 60.0
    n = len(demand_m)
    d_node, s_node, d_access, s_access = node[:n], node[n:], access[:n], access[n:]
    pairs = _door_to_door(graph, d_node, d_access, s_node, s_access, limit)
    return from_pairs(
        pairs["row"].to_numpy(),
        pairs["col"].to_numpy(),
        pairs["minutes"].to_numpy(),
        frame_ids(demand_m, "demand"),
        frame_ids(sites_m, "sites"),
        f"road network ({len(roads_m)} roads, {graph.shape[0]} nodes), "
        f"access @ {access_speed:g} km/h",
    )


def _checked_roads(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The road layer, checked to hold at least one feature and only (multi)lines."""
    label = frame_label(roads, "roads")
    if roads.empty:
        raise InputError(
            _("{label}: the road layer has no features; give a line layer").format(label=label)
        )
    values = roads.geometry.values
    bad = ~np.isin(shapely.get_type_id(values), LINE_TYPES) | shapely.is_empty(values)
    if bad.any():
        kinds = listing(sorted({str(t) for t in roads.geom_type[bad]}), quote=True)
        raise InputError(
            _(
                "{label}: geometry: {rows} are not lines ({kinds}); give a layer of LineStrings "
                "or MultiLineStrings"
            ).format(label=label, rows=frame_rows(roads, np.flatnonzero(bad)), kinds=kinds)
        )
    return roads


def _road_speeds(
    roads: gpd.GeoDataFrame,
    speed_column: str | None,
    class_column: str | None,
    class_speeds: Mapping[str, float] | None,
    default_speed_kmh: float,
) -> np.ndarray:
    """Each road's speed (km/h) from its speed column, its class, or the default."""
    label = frame_label(roads, "roads")
    if speed_column is not None and class_column is not None:
        raise InputError(_("give speed_column= or class_column=, not both"))
    if (class_column is None) != (class_speeds is None):
        raise InputError(_("class_column= and class_speeds= go together; give both or neither"))
    for column in (speed_column, class_column):
        if column is not None and column not in roads.columns:
            names = [c for c in roads.columns if c != roads.geometry.name]
            available = listing(names, limit=30, quote=True)
            raise InputError(
                _(
                    "{label}: no column '{column}'; its columns are {columns}; name one of them"
                ).format(label=label, column=column, columns=available)
            )
    if speed_column is not None:
        raw = roads[speed_column]
        speeds = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = ~(np.isfinite(speeds) & (speeds > 0))
        if bad.any():
            raise InputError(
                _(
                    "{label}: column '{column}' (speed, km/h): {rows} have speeds {speeds}, not "
                    "positive numbers; fix them"
                ).format(
                    label=label,
                    column=speed_column,
                    rows=frame_rows(roads, np.flatnonzero(bad)),
                    speeds=listing(raw[bad].tolist(), quote=True),
                )
            )
        return speeds
    if class_column is not None:
        table = {str(k): positive(f"class_speeds[{k!r}]", v) for k, v in class_speeds.items()}
        classes = roads[class_column].astype(str).to_numpy()
        unknown = sorted(set(classes) - set(table))
        if unknown:
            rows = frame_rows(roads, np.flatnonzero(np.isin(classes, unknown)))
            raise InputError(
                _(
                    "{label}: column '{column}' (road class): classes {classes} ({rows}) have no "
                    "speed in class_speeds (which has {known}); add them to class_speeds"
                ).format(
                    label=label,
                    column=class_column,
                    classes=listing(unknown, quote=True),
                    rows=rows,
                    known=listing(table, quote=True),
                )
            )
        return np.array([table[c] for c in classes], dtype=float)
    return np.full(len(roads), positive("default_speed_kmh", default_speed_kmh))


def _road_directions(roads: gpd.GeoDataFrame, column: str | None) -> np.ndarray:
    """Each road's direction of travel: 1 along its vertices, -1 against them, 0 both ways."""
    if column is None:
        return np.zeros(len(roads), dtype=np.int8)
    label = frame_label(roads, "roads")
    if column not in roads.columns:
        raise InputError(
            _("{label}: no column '{column}' (direction of travel: 1, -1 or 0)").format(
                label=label, column=column
            )
        )
    raw = pd.to_numeric(roads[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isin(raw, (-1.0, 0.0, 1.0))
    if bad.any():
        raise InputError(
            _(
                "{label}: column '{column}' (direction of travel): {rows} are not 1, -1 or 0; "
                "fix them"
            ).format(label=label, column=column, rows=frame_rows(roads, np.flatnonzero(bad)))
        )
    return raw.astype(np.int8)


def _road_graph(
    lines: np.ndarray, speeds: np.ndarray, directions: np.ndarray
) -> tuple[sparse.csr_array, np.ndarray]:
    """The network as a directed sparse matrix of segment minutes (row: from-node, column:
    to-node), and its nodes' (x, y) in metres.

    A segment gives an arc each way its road's direction (1, -1, 0) allows; each ordered pair
    of nodes keeps its fastest arc.
    """
    parts, feature = shapely.get_parts(lines, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords / SNAP_M).astype(np.int64)
    _, first, node = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    node = node.ravel()
    segment = np.flatnonzero(part[:-1] == part[1:])
    a, b = node[segment], node[segment + 1]
    km = np.hypot(*(coords[segment + 1] - coords[segment]).T) / 1000.0
    road = feature[part[segment]]
    minutes = km / speeds[road] * 60.0
    forward, backward = directions[road] >= 0, directions[road] <= 0
    edges = pd.DataFrame(
        {
            "u": np.concatenate([a[forward], b[backward]]),
            "v": np.concatenate([b[forward], a[backward]]),
            "w": np.concatenate([minutes[forward], minutes[backward]]),
        }
    )
    edges = edges[edges["u"] != edges["v"]].groupby(["u", "v"], as_index=False)["w"].min()
    n = len(first)
    graph = sparse.csr_array((edges["w"], (edges["u"], edges["v"])), shape=(n, n))
    return graph, coords[first]


def _join_points(
    graph: sparse.csr_array, node_xy: np.ndarray, points: np.ndarray
) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
    """Join each point (x, y in metres) to the nearest point of the nearest segment.

    A segment is split at every foot point inside it by a new node, its minutes shared in
    proportion to length, each way the segment is driven. Returns the graph with those nodes,
    each point's node, and each point's distance to it (metres).
    """
    coo = graph.tocoo()
    arcs = pd.DataFrame({"u": coo.row, "v": coo.col, "w": coo.data})
    arcs["a"], arcs["b"] = np.minimum(arcs["u"], arcs["v"]), np.maximum(arcs["u"], arcs["v"])
    arcs["along"] = arcs["u"] < arcs["v"]
    segments = arcs.pivot_table(index=["a", "b"], columns="along", values="w", aggfunc="min")
    segments = segments.reindex(columns=[True, False]).fillna(np.inf).reset_index()
    a, b = segments["a"].to_numpy(), segments["b"].to_numpy()
    forward, backward = segments[True].to_numpy(), segments[False].to_numpy()
    lines = shapely.linestrings(np.stack([node_xy[a], node_xy[b]], axis=1))
    where = shapely.points(points)
    found = shapely.STRtree(lines).query_nearest(where, all_matches=False)
    seg = np.empty(len(points), dtype=np.int64)
    seg[found[0]] = found[1]
    t = shapely.line_locate_point(lines[seg], where, normalized=True)
    metres = shapely.distance(lines[seg], where)
    n = graph.shape[0]
    node = np.where(t <= 0.0, a[seg], b[seg])
    inside = (t > 0.0) & (t < 1.0)
    if not inside.any():
        return graph, node, metres
    cuts = pd.DataFrame({"seg": seg[inside], "t": t[inside]}).drop_duplicates()
    cuts = cuts.sort_values(["seg", "t"], ignore_index=True)
    cuts["node"] = n + np.arange(len(cuts))
    lookup = cuts.set_index(["seg", "t"])["node"]
    node[inside] = lookup.loc[list(zip(seg[inside], t[inside], strict=True))].to_numpy()
    same = cuts["seg"].shift() == cuts["seg"]
    prev_node = np.where(same, cuts["node"].shift(fill_value=0), a[cuts["seg"]])
    prev_t = np.where(same, cuts["t"].shift(fill_value=0.0), 0.0)
    last = cuts["seg"].shift(-1) != cuts["seg"]
    tails = cuts[last]
    starts = np.concatenate([prev_node, tails["node"]]).astype(np.int64)
    ends = np.concatenate([cuts["node"], b[tails["seg"]]]).astype(np.int64)
    share = np.concatenate([cuts["t"] - prev_t, 1.0 - tails["t"]])
    chain_seg = np.concatenate([cuts["seg"], tails["seg"]])
    fw, bw = forward[chain_seg] * share, backward[chain_seg] * share
    ok_f, ok_b = np.isfinite(fw), np.isfinite(bw)
    rows = np.concatenate([coo.row, starts[ok_f], ends[ok_b]])
    cols = np.concatenate([coo.col, ends[ok_f], starts[ok_b]])
    data = np.concatenate([coo.data, fw[ok_f], bw[ok_b]])
    size = n + len(cuts)
    return sparse.csr_array((data, (rows, cols)), shape=(size, size)), node, metres


def _door_to_door(
    graph: sparse.csr_array,
    d_node: np.ndarray,
    d_access: np.ndarray,
    s_node: np.ndarray,
    s_access: np.ndarray,
    limit: float,
) -> pd.DataFrame:
    """Columns ``row``, ``col``, ``minutes`` (access + path + access) of pairs within `limit`.

    Dijkstra runs once per distinct demand node, in chunks of CHUNK sources, with a search
    limit no pair could exceed and still fit.
    """
    path_limit = max(0.0, limit - d_access.min() - s_access.min())
    d_nodes, d_group = np.unique(d_node, return_inverse=True)
    s_nodes, s_group = np.unique(s_node, return_inverse=True)
    paths = []
    for start in range(0, len(d_nodes), CHUNK):
        dist = dijkstra(
            graph, directed=True, indices=d_nodes[start : start + CHUNK], limit=path_limit
        )[:, s_nodes]
        rows, cols = np.nonzero(np.isfinite(dist))
        paths.append(pd.DataFrame({"dg": rows + start, "sg": cols, "path": dist[rows, cols]}))
    demand_groups = pd.DataFrame({"dg": d_group, "row": np.arange(len(d_group)), "d": d_access})
    site_groups = pd.DataFrame({"sg": s_group, "col": np.arange(len(s_group)), "s": s_access})
    pairs = pd.concat(paths, ignore_index=True).merge(demand_groups, on="dg")
    pairs = pairs.merge(site_groups, on="sg")
    pairs["minutes"] = pairs["d"] + pairs["path"] + pairs["s"]
    return pairs.loc[pairs["minutes"] <= limit, ["row", "col", "minutes"]]
