"""One config, one plan: ``run`` reads the inputs, plans (and, for a county plan, draws the
districts and answers the comparison); ``write`` puts the plan into an output folder. The
command line and the batch workers both go this one way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geodata.i18n import N_, has_chinese, use_language
from optimizer.config.county import CountyConfig
from optimizer.config.site import Config, input_files
from optimizer.county_spec import CountyPlan
from optimizer.inputs import Inputs, read_county_inputs, read_site_inputs
from optimizer.inputs.read import config_section
from optimizer.outputs.county_export import write_county_outputs
from optimizer.outputs.export import write_outputs
from optimizer.outputs.postgis import plan_layers, postgis_transaction
from optimizer.plan.compare import compare_plan, nearest
from optimizer.plan.county import plan_county
from optimizer.plan.county_result import CountyRun
from optimizer.plan.districts import district_polygons
from optimizer.plan.sites import plan_sites
from optimizer.results import SitePlan

# The steps ``run`` reports, in order, by kind of plan; "writing outputs" belongs to ``write``.
# Their text is shown translated (``geodata.i18n.gettext``).
SITE_STEPS = (
    N_("reading demand"),
    N_("reading sites"),
    N_("travel times"),
    N_("solving"),
    N_("writing outputs"),
)
COUNTY_STEPS = (*SITE_STEPS[:4], N_("districts"), N_("comparing"), SITE_STEPS[4])

Progress = Callable[[str], None]


@dataclass
class Run:
    """A solved config.

    Attributes:
        config: the config it was made from.
        inputs: what its files held.
        plan: the plan (a ``SitePlan`` or a ``CountyPlan``).
        county: for a county plan, what its outputs draw from (spec, boundary, comparison).
        language: of the report, maps and summary ("zh", "en"): ``[output] language``, else
            "zh" when most demand names are Chinese.
    """

    config: Config | CountyConfig
    inputs: Inputs
    plan: SitePlan | CountyPlan
    county: CountyRun | None = None
    language: str = "en"


def run(
    config: Config | CountyConfig,
    *,
    progress: Progress | None = None,
    source: str | Path = "config",
) -> Run:
    """Read the data a checked config names, compute travel minutes and plan.

    Args:
        config: a checked config (``optimizer.config.load``).
        progress: called with each step name (``SITE_STEPS`` or ``COUNTY_STEPS``) as it
            starts, all but "writing outputs".
        source: the config file, named in errors about site names and columns.

    Raises:
        ConfigError: inconsistent config, unknown or ambiguous site names, missing columns.
        InputError: unreadable or invalid data files.
        InfeasibleError: targets that the data cannot meet.
        SolverError: no usable solution within the time limit.
    """
    step = progress or (lambda _name: None)
    if isinstance(config, CountyConfig):
        return _run_county(config, step, source)
    inputs = read_site_inputs(config, step)
    step("solving")
    m, s = config.model, config.sites
    plan = plan_sites(
        inputs.demand,
        inputs.sites,
        inputs.travel,
        m.problem,
        p=m.p,
        radius=m.radius,
        required=list(s.required) or None,
        barred=list(s.barred) or None,
        use_capacity=m.use_capacity,
        use_fixed_costs=m.use_fixed_costs,
        single_source=m.single_source,
        time_limit=m.time_limit,
        mip_gap=m.mip_gap,
    )
    return Run(config, inputs, plan, language=plan_language(config, inputs))


def _run_county(config: CountyConfig, step: Progress, source: str | Path) -> Run:
    """Plan a county: solve the stages, draw districts, answer the comparison."""
    inputs = read_county_inputs(config, step, source)
    language = plan_language(config, inputs)
    with use_language(language):  # warnings and findings in the plan's language
        demand, sites, travel, spec = inputs.demand, inputs.sites, inputs.travel, inputs.spec
        assert spec is not None
        step("solving")
        plan = plan_county(demand, sites, travel, spec, inputs.stop_travel)
        plan.assignments["unreachable"] = unreachable_column(plan)
        levels = plan.sites["level"].to_numpy()
        nearest_to = (("nearest_hub", levels == "hub"), ("nearest_site", levels != ""))
        for column, open_sites in nearest_to:
            minutes = nearest(travel, open_sites)
            plan.assignments[f"{column}_minutes"] = np.where(np.isinf(minutes), np.nan, minutes)

        step("districts")
        units = plan.assignments
        if inputs.areas is not None:
            units = units.copy()
            units["geometry"] = inputs.areas.to_numpy()
        plan.districts = district_polygons(
            units,
            inputs.boundary,
            names=dict(zip(plan.districts["hub_id"], plan.districts["name"], strict=True)),
        )
        comparison = None
        if config.compare is not None:
            step("comparing")
            with config_section("compare"):
                comparison = compare_plan(
                    config.compare,
                    plan,
                    spec,
                    demand,
                    sites,
                    travel,
                    labels=inputs.labels,
                    seats=inputs.seats,
                    stop_travel=inputs.stop_travel,
                    source=source,
                )
        t = config.travel
        county = CountyRun(
            name=config.name,
            spec=spec,
            plan=plan,
            boundary=inputs.boundary,
            travel=travel,
            comparison=comparison,
            km_per_minute=t.speed_kmh / 60.0 / t.circuity if t.mode == "straight-line" else None,
            plan_hub_count=config.compare.plan_hub_count if config.compare else None,
        )
        return Run(config, inputs, plan, county, language)


def plan_language(config: Config | CountyConfig, inputs: Inputs) -> str:
    """The config's output language, else "zh" when most demand names are Chinese."""
    if config.output.language is not None:
        return config.output.language
    return "zh" if has_chinese(inputs.demand["name"]) else "en"


def write(
    run: Run, out_dir: str | Path, *, title: str | None = None, inputs: Iterable[Path] = ()
) -> list[Path]:
    """Write ``run``'s plan into ``out_dir`` in the config's formats and CRS, replacing the
    folder atomically (see ``optimizer.outputs.export.write_atomically``). With ``[output]
    postgis`` the plan's tables in that database are replaced in one transaction, committed
    once the folder is swapped in: when the database write fails the folder keeps its earlier
    outputs, and when the swap fails the tables are rolled back.

    Args:
        title: map and report title; default the config's name (a site plan adds its problem).
        inputs: files read besides those the config names (e.g. the config file); none may
            lie in ``out_dir``.

    Returns:
        The written files, inside ``out_dir`` (the manifest last).
    """
    with use_language(run.language):
        config = run.config
        files = [*inputs, *input_files(config)]
        output = config.output
        formats, crs = output.formats, output.crs
        database = None
        if output.postgis is not None:
            layers = plan_layers(run.plan, crs)
            database = postgis_transaction(layers, output.postgis, output.schema_)
        if run.county is not None:
            written = write_county_outputs(
                run.county,
                out_dir,
                formats=formats,
                crs=crs,
                title=title,
                inputs=files,
                alongside=database,
            )
        else:
            assert isinstance(config, Config) and isinstance(run.plan, SitePlan)
            label = title or f"{config.name}: {config.model.problem}"
            written = write_outputs(
                run.plan,
                out_dir,
                formats=formats,
                crs=crs,
                title=label,
                inputs=files,
                alongside=database,
            )
        return written


def unreachable_column(plan: CountyPlan) -> np.ndarray:
    """Per demand unit, the levels ("hub", "clinic") whose radius no possible site reaches."""
    ids = plan.assignments["demand_id"].astype(str).to_numpy()
    flags = [np.isin(ids, plan.unreachable.get(level, [])) for level in ("hub", "clinic")]
    return np.array(
        [
            ",".join(lv for lv, f in zip(("hub", "clinic"), row, strict=True) if f)
            for row in zip(*flags, strict=True)
        ],
        dtype=object,
    )
