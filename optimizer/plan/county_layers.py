"""Read a solved county model back into layers and tables."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from geodata.travel import TravelTimes
from models.county import CountyInput
from optimizer.county_spec import CountyPlan, CountySpec, StageRecord
from optimizer.notices import stages_warning

STAFFING_COLUMNS = ["staff_type", "need", "planned", "pool", "shortfall", "sites_short"]


def _chosen(var, keys) -> dict:
    """Map demand -> site for the binary assignment variable ``var`` over (i, j) keys."""
    out = {}
    for i, j in keys:
        if pyo.value(var[i, j]) > 0.5:
            out[i] = j
    return out


def county_layers(
    model: pyo.ConcreteModel,
    data: CountyInput,
    spec: CountySpec,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    travel: TravelTimes,
    records: list[StageRecord],
    unreachable: dict[str, np.ndarray],
) -> CountyPlan:
    """The solved model as a CountyPlan (sites, assignments, districts, staffing, summary)."""
    demand = demand.reset_index(drop=True)
    sites = sites.reset_index(drop=True).to_crs(demand.crs)
    n, m = len(demand), len(sites)
    pop = data.population
    site_ids = np.asarray(sites["id"], dtype=str)
    is_hub = np.zeros(m, dtype=bool)
    for j in model.H:
        is_hub[j] = pyo.value(model.hub[j]) > 0.5
    is_open = np.zeros(m, dtype=bool)
    for j in model.C:
        is_open[j] = pyo.value(model.site[j]) > 0.5
    district = _chosen(model.dist, model.D)
    service = _chosen(model.serve, model.S)
    minutes = travel.minutes.tocsr()

    def lookup(assign: dict) -> tuple[np.ndarray, np.ndarray]:
        site = np.full(n, -1, dtype=np.int64)
        for i, j in assign.items():
            site[i] = j
        mins = np.full(n, np.nan)
        rows = np.flatnonzero(site >= 0)
        if rows.size:
            mins[rows] = np.asarray(minutes[rows, site[rows]]).reshape(-1)
        return site, mins

    hub_of, hub_minutes = lookup(district)
    site_of, site_minutes = lookup(service)
    level = np.where(is_hub, "hub", np.where(is_open, "clinic", ""))
    existing = data.existing_hub | data.existing_site
    status = np.where(
        is_hub & data.existing_hub,
        "existing",
        np.where(is_open & existing, "existing", np.where(is_open, "new", "closed")),
    )
    served = np.bincount(site_of[site_of >= 0], weights=pop[site_of >= 0], minlength=m)
    district_pop = np.bincount(hub_of[hub_of >= 0], weights=pop[hub_of >= 0], minlength=m)

    columns = {
        "site_id": site_ids,
        "name": sites["name"].astype(str).to_numpy(),
        "kind": sites["kind"].astype(str).to_numpy(),
        "level": level,
        "status": status,
        "population_served": served,
        "district_population": district_pop,
    }
    staffing_rows = []
    for rule in data.staff:
        staff = np.zeros(m)
        short = np.zeros(m)
        for j in model.C:
            staff[j] = pyo.value(model.staff[j, rule.name])
            short[j] = pyo.value(model.short[j, rule.name])
        need = np.where(
            is_open,
            rule.per_person * served
            + np.where(is_hub, rule.min_hub, np.where(is_open, rule.min_clinic, 0.0)),
            0.0,
        )
        columns[rule.name] = np.round(staff, 6)
        columns[f"shortfall_{rule.name}"] = np.round(short, 6)
        staffing_rows.append(
            {
                "staff_type": rule.name,
                "need": float(need.sum()),
                "planned": float(staff.sum()),
                "pool": rule.pool if np.isfinite(rule.pool) else np.nan,
                "shortfall": float(short.sum()),
                "sites_short": int((short > 1e-6).sum()),
            }
        )
    site_layer = gpd.GeoDataFrame(columns, geometry=sites.geometry.values, crs=demand.crs)

    assignments = gpd.GeoDataFrame(
        {
            "demand_id": demand["id"].astype(str).to_numpy(),
            "name": demand["name"].astype(str).to_numpy(),
            "population": pop,
            "site_id": np.where(site_of >= 0, site_ids[np.maximum(site_of, 0)], ""),
            "level": np.where(site_of >= 0, level[np.maximum(site_of, 0)], ""),
            "minutes": site_minutes,
            "hub_id": np.where(hub_of >= 0, site_ids[np.maximum(hub_of, 0)], ""),
            "hub_minutes": hub_minutes,
        },
        geometry=demand.geometry.values,
        crs=demand.crs,
    )
    hubs = np.flatnonzero(is_hub)
    districts = pd.DataFrame(
        {
            "hub_id": site_ids[hubs],
            "name": sites["name"].astype(str).to_numpy()[hubs],
            "population": district_pop[hubs],
            "n_units": np.bincount(hub_of[hub_of >= 0], minlength=m)[hubs],
        }
    )
    total = float(pop.sum())

    def within(radius: float, mask: np.ndarray) -> float:
        coo = minutes.tocoo()
        ok = (coo.data <= radius) & mask[coo.col]
        reached = np.zeros(n, dtype=bool)
        reached[coo.row[ok]] = True
        return float(pop[reached].sum())

    hub_pop = within(spec.hub.radius, is_hub)
    clinic_pop = within(spec.clinic.radius, is_open)
    summary = pd.DataFrame(
        [
            ("hubs", int(is_hub.sum())),
            ("new_hubs", int((is_hub & ~data.existing_hub).sum())),
            ("clinics", int((is_open & ~is_hub).sum())),
            ("new_clinics", int((is_open & ~is_hub & ~existing).sum())),
            ("population", total),
            (f"population_within_{spec.hub.radius:g}_min_of_hub", hub_pop),
            (f"share_within_{spec.hub.radius:g}_min_of_hub", hub_pop / total if total else np.nan),
            (f"population_within_{spec.clinic.radius:g}_min_of_clinic", clinic_pop),
            (
                f"share_within_{spec.clinic.radius:g}_min_of_clinic",
                clinic_pop / total if total else np.nan,
            ),
            ("build_cost", float(pyo.value(model.build_cost))),
            ("person_minutes", float(pyo.value(model.stage_travel))),
            ("staff_shortfall", float(pyo.value(model.stage_shortfall))),
            ("units_beyond_hub_radius", len(unreachable["hub"])),
            ("units_beyond_clinic_radius", len(unreachable["clinic"])),
        ]
        + ([("warning", warning)] if (warning := stages_warning(records)) else []),
        columns=["item", "value"],
    )
    ids = demand["id"].astype(str).to_numpy()
    return CountyPlan(
        sites=site_layer,
        assignments=assignments,
        districts=districts,
        staffing=pd.DataFrame(staffing_rows, columns=STAFFING_COLUMNS),
        summary=summary,
        stages=records,
        unreachable={k: ids[v].tolist() for k, v in unreachable.items()},
    )
