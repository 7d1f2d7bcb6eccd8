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

# Heading of each column; a column not listed here keeps its name. A name holding one number
# is looked up with the number as {minutes}; "shortfall_<type>", "existing_<type>" and the
# other per-type staff columns by STAFF_PREFIXES.
COLUMNS: dict[str, str] = {
    "item": N_("Item"),
    "value": N_("Value"),
    "id": N_("ID"),
    "site_id": N_("Site ID"),
    "demand_id": N_("Demand unit ID"),
    "hub_id": N_("Hub ID"),
    "base_id": N_("Base ID"),
    "route_id": N_("Route ID"),
    "stop_ids": N_("Stop IDs"),
    "name": N_("Name"),
    "site_name": N_("Site name"),
    "base_name": N_("Base name"),
    "base": N_("Base"),
    "kind": N_("Kind"),
    "level": N_("Level"),
    "status": N_("Status"),
    "open": N_("Open"),
    "required": N_("Required"),
    "barred": N_("Barred"),
    "n_assigned": N_("Demand units served"),
    "n_units": N_("Demand units"),
    "population": N_("Population (persons)"),
    "population_served": N_("Population served (persons)"),
    "district_population": N_("District population (persons)"),
    "minutes": N_("Minutes"),
    "hub_minutes": N_("Minutes to hub"),
    "nearest_hub_minutes": N_("Minutes to nearest hub"),
    "nearest_site_minutes": N_("Minutes to nearest site"),
    "roaming": N_("Served by roaming"),
    "visits": N_("Roaming visits per cycle"),
    "unreachable": N_("Unreachable levels"),
    "doctors": N_("Doctors"),
    "nurses": N_("Nurses"),
    "beds": N_("Beds"),
    "gps": N_("General practitioners"),
    "public_health": N_("Public-health staff"),
    "staff_type": N_("Staff type"),
    "need": N_("Need"),
    "planned": N_("Planned"),
    "on_post": N_("On post"),
    "crews": N_("Roaming crews"),
    "per_1000": N_("Per 1,000 residents"),
    "target": N_("Target"),
    "moved": N_("Moved"),
    "hired": N_("Hired"),
    "hiring_cost": N_("Hiring cost (yuan)"),
    "pool": N_("Pool"),
    "shortfall": N_("Shortfall"),
    "sites_short": N_("Sites short"),
    "stage": N_("Stage"),
    "objective": N_("Objective"),
    "bound": N_("Bound"),
    "gap": N_("Gap"),
    "seconds": N_("Seconds"),
    "held": N_("Value held"),
    "vehicle": N_("Vehicle"),
    "day": N_("Day"),
    "stops": N_("Stops"),
    "n_stops": N_("Number of stops"),
    "km": N_("Kilometres"),
    "stop_order": N_("Stop order"),
    "arrival_minute": N_("Arrival (minute of the day)"),
    "departure_minute": N_("Departure (minute of the day)"),
    "figure": N_("Figure"),
    "optimiser": N_("Optimiser"),
    "plan": N_("Plan"),
    "plan's hubs": N_("Plan's hubs"),
    "plan minus optimiser": N_("Plan minus optimiser"),
    "plan's hubs fixed": N_("Plan's hubs fixed"),
    "hubs besides those by kind": N_("Hubs besides those by kind"),
    "gain over one fewer": N_("Gain over one hub fewer (persons)"),
    "share of population": N_("Share of population"),
    "share of reachable population": N_("Share of reachable population"),
    "hubs": N_("Hubs"),
    "unit": N_("Demand unit"),
    "minutes to nearest existing site": N_("Minutes to nearest existing site"),
    "minutes with the plan": N_("Minutes with the plan"),
    "lon": N_("Longitude"),
    "lat": N_("Latitude"),
    "x": N_("X coordinate"),
    "y": N_("Y coordinate"),
    # the phasing table (one row per year) and the sites' years
    "year": N_("Year"),
    "hub_population": N_("Population within the hub radius (persons)"),
    "share_within_hub_radius": N_("Share within the hub radius"),
    "clinic_population": N_("Population within the clinic radius (persons)"),
    "share_within_clinic_radius": N_("Share within the clinic radius"),
    "clinics": N_("Clinics"),
    "new_hubs": N_("New hubs"),
    "new_clinics": N_("New clinics"),
    "spending": N_("Spending (yuan)"),
    "budget": N_("Budget (yuan)"),
    "open_year": N_("Opening year"),
    "hub_year": N_("Year it becomes a hub"),
}

STAFF_PREFIXES: dict[str, str] = {
    "shortfall_": N_("{staff}: shortfall"),
    "existing_": N_("{staff}: on post"),
    "hired_": N_("{staff}: hired"),
    "moved_in_": N_("{staff}: moved in"),
    "moved_out_": N_("{staff}: moved out"),
}


# Headings of the report's own columns and of the comparison's figures
COLUMNS |= {
    "staffed": N_("Staffed"),
    "vs mean": N_("Vs mean"),
    "share within {minutes} min": N_("Share within {minutes} min"),
    "person-minutes to nearest hub": N_("Person-minutes to nearest hub"),
    "mean minutes to nearest hub": N_("Mean minutes to nearest hub"),
    "longest minutes to nearest hub": N_("Longest minutes to nearest hub"),
    "population beyond the travel limit": N_("Population beyond the travel limit"),
    "mean minutes to own hub": N_("Mean minutes to own hub"),
    "largest district (persons)": N_("Largest district (persons)"),
    "smallest district (persons)": N_("Smallest district (persons)"),
    "population within {minutes} min": N_("Population within {minutes} min"),
    "within {minutes} min now": N_("Within {minutes} min now"),
    "within {minutes} min with the plan": N_("Within {minutes} min with the plan"),
    "population_within_{minutes}_min_of_hub": N_("Population within {minutes} min of a hub"),
    "population_within_{minutes}_min_of_clinic": N_("Population within {minutes} min of a clinic"),
}
NUMBER = re.compile(r"\d+(?:\.\d+)?")

VALUES = {
    "hub": N_("hub"),
    "clinic": N_("clinic"),
    "existing": N_("existing"),
    "new": N_("new"),
    "coverage": N_("coverage"),
    "person_years": N_("person-years covered"),
    "new_sites": N_("new sites"),
    "cost": N_("cost"),
    "travel": N_("travel"),
    "shortfall": N_("shortfall"),
    "hiring": N_("hiring"),
    "moves": N_("moves"),
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
    for prefix, label in STAFF_PREFIXES.items():
        staff = text.removeprefix(prefix)
        if staff != text and staff:
            return _(label).format(staff=_(COLUMNS[staff]) if staff in COLUMNS else staff)
    staff = text.removesuffix(" need")  # a comparison figure: "<staff type> need"
    if staff != text and staff in COLUMNS:
        return _("{staff}: need").format(staff=_(COLUMNS[staff]))
    return text


def value_text(value: object) -> object:
    """A coded value (level, status, stage) in the language in use; others unchanged."""
    label = VALUES.get(value) if isinstance(value, str) else None
    return _(label) if label is not None else value


def readable(
    table: pd.DataFrame, coded: tuple[str, ...] = ("level", "status", "stage")
) -> pd.DataFrame:
    """``table`` with its coded columns' values, its figure names and staff types and its
    headings in the language in use."""
    table = table.copy()
    for column in coded:
        if column in table.columns:
            table[column] = table[column].map(value_text)
    for column in ("figure", "staff_type"):
        if column in table.columns:
            table[column] = table[column].map(heading)
    return table.rename(columns=heading)
