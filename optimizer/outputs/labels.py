"""The words of the plan's tables as a planner reads them: column headings, the coded
values (levels, statuses, stages) and the comparison's figure names in the language in use.
The tables themselves keep their ASCII column names and codes (GIS fields, CSV files).

A phrase holding one number ("population within 30 min") is looked up with the number as
``{minutes}`` ("population within {minutes} min") and the number put back after translation.
"""

from __future__ import annotations

import re

import pandas as pd

from geodata.i18n import N_
from geodata.i18n import gettext as _

COLUMNS = {
    "site_id": N_("site id"),
    "hub_id": N_("hub id"),
    "demand_id": N_("unit id"),
    "name": N_("name"),
    "kind": N_("kind"),
    "level": N_("level"),
    "status": N_("status"),
    "population": N_("population"),
    "population_served": N_("population served"),
    "n_units": N_("units"),
    "staff_type": N_("staff type"),
    "need": N_("need"),
    "planned": N_("planned"),
    "pool": N_("pool"),
    "shortfall": N_("shortfall"),
    "sites_short": N_("sites short"),
    "staffed": N_("staffed"),
    "stage": N_("stage"),
    "objective": N_("objective"),
    "bound": N_("bound"),
    "gap": N_("gap"),
    "held": N_("held by later stages"),
    "seconds": N_("seconds"),
    "visits": N_("visits"),
    "vehicle": N_("vehicle"),
    "day": N_("day"),
    "base": N_("base"),
    "route_id": N_("route id"),
    "stops": N_("stops"),
    "minutes": N_("minutes"),
    "item": N_("item"),
    "value": N_("value"),
    "figure": N_("figure"),
    "optimiser": N_("optimiser"),
    "plan": N_("plan"),
    "plan's hubs": N_("plan's hubs"),
    "plan minus optimiser": N_("plan minus optimiser"),
    "plan's hubs fixed": N_("plan's hubs fixed"),
    "vs mean": N_("vs mean"),
    "unit": N_("unit"),
    "hubs": N_("hubs"),
    "hubs besides those by kind": N_("hubs besides those by kind"),
    "gain over one fewer": N_("gain over one fewer"),
    "share of population": N_("share of population"),
    "share of reachable population": N_("share of reachable population"),
    "minutes to nearest existing site": N_("minutes to nearest existing site"),
    "minutes with the plan": N_("minutes with the plan"),
    "population within {minutes} min": N_("population within {minutes} min"),
    "share within {minutes} min": N_("share within {minutes} min"),
    "within {minutes} min now": N_("within {minutes} min now"),
    "within {minutes} min with the plan": N_("within {minutes} min with the plan"),
    "person-minutes to nearest hub": N_("person-minutes to nearest hub"),
    "mean minutes to nearest hub": N_("mean minutes to nearest hub"),
    "longest minutes to nearest hub": N_("longest minutes to nearest hub"),
    "population beyond the travel limit": N_("population beyond the travel limit"),
    "mean minutes to own hub": N_("mean minutes to own hub"),
    "largest district (persons)": N_("largest district (persons)"),
    "smallest district (persons)": N_("smallest district (persons)"),
    "population_within_{minutes}_min_of_hub": N_("population within {minutes} min of a hub"),
    "population_within_{minutes}_min_of_clinic": N_("population within {minutes} min of a clinic"),
}
NUMBER = re.compile(r"\d+(?:\.\d+)?")

VALUES = {
    "hub": N_("hub"),
    "clinic": N_("clinic"),
    "existing": N_("existing"),
    "new": N_("new"),
    "coverage": N_("coverage"),
    "new_sites": N_("new sites"),
    "cost": N_("cost"),
    "travel": N_("travel"),
    "shortfall": N_("shortfall"),
    "optimal": N_("optimal"),
    "time_limit": N_("time limit"),
    "node_limit": N_("node limit"),
    "iteration_limit": N_("iteration limit"),
    "mip_gap": N_("mip_gap reached"),
    "interrupted": N_("interrupted"),
    "no_solution": N_("no solution"),
}


def heading(column: object) -> str:
    """A column's heading or a figure's name in the language in use (unknown ones keep
    their name)."""
    text = str(column)
    label = COLUMNS.get(text)
    if label is not None:
        return _(label)
    numbers = NUMBER.findall(text)
    if len(numbers) == 1:
        label = COLUMNS.get(NUMBER.sub("{minutes}", text))
        if label is not None:
            return _(label).format(minutes=numbers[0])
    return text


def value_text(value: object) -> object:
    """A coded value (level, status, stage) in the language in use; others unchanged."""
    label = VALUES.get(value) if isinstance(value, str) else None
    return _(label) if label is not None else value


def readable(
    table: pd.DataFrame, coded: tuple[str, ...] = ("level", "status", "stage")
) -> pd.DataFrame:
    """``table`` with its coded columns' values and its headings in the language in use."""
    table = table.copy()
    for column in coded:
        if column in table.columns:
            table[column] = table[column].map(value_text)
    return table.rename(columns=heading)
