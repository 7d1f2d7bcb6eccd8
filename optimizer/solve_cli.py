"""The work behind ``healthplan solve``: run a config, show its progress and summary.

Imported by the command only when it runs, so ``healthplan --help`` and ``healthplan version``
do not load the solver and GIS libraries. Exit codes as in :mod:`optimizer.cli`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from geodata.errors import (
    HealthplanError,
    HealthplanWarning,
    InfeasibleError,
    InputError,
    Interrupted,
    SolverError,
)
from geodata.i18n import LANGUAGES, N_, language_scope, set_language, use_language
from geodata.i18n import gettext as _
from optimizer import interrupt
from optimizer.batch.cli import solve_batch
from optimizer.config import load
from optimizer.config.batch import is_batch, parse_sweep_option
from optimizer.config.site import Config, input_files, read_toml, with_language
from optimizer.notices import gap_text, number_text, solve_warning, stages_warning
from optimizer.outputs.export import check_out_folder
from optimizer.outputs.labels import heading, value_text
from optimizer.outputs.report import level_counts
from optimizer.plan.county_result import CountyRun
from optimizer.results import SitePlan
from optimizer.run import run, write

# the solve command's consoles (``optimizer.cli`` imports this module, not the other way)
out_console = Console()
err_console = Console(stderr=True)

OBJECTIVE_UNITS = {
    "lscp": N_("sites opened (or fixed cost)"),
    "mclp": N_("persons covered"),
    "p-median": N_("person-minutes"),
    "p-center": N_("minutes, longest trip"),
    "capacitated": N_("fixed cost + person-minutes"),
}
SHOWN_SITES = 15


class _Steps:
    """Shows each run step with a spinner while it runs and its time once done."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.current: TaskID | None = None
        self.names: dict[TaskID, str] = {}

    def __call__(self, name: str) -> None:
        self.finish()
        self.current = self.progress.add_task(_(name), total=1)
        self.names[self.current] = name

    def relabel(self) -> None:
        """Show every step in the language in use (known once the demand names are read)."""
        for task, name in self.names.items():
            self.progress.update(task, description=_(name))

    def finish(self) -> None:
        if self.current is not None:
            self.progress.update(self.current, completed=1)
            self.progress.stop_task(self.current)
            self.current = None

    def drop(self) -> None:
        """Remove the running step from the display (it failed; the error says why)."""
        if self.current is not None:
            self.progress.remove_task(self.current)
            self.current = None


@contextmanager
def _progress() -> Iterator[_Steps]:
    progress = Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
    )
    steps = _Steps(progress)
    with progress:
        try:
            yield steps
        except BaseException:
            steps.drop()
            raise
        steps.finish()


@contextmanager
def _shown_warnings() -> Iterator[None]:
    """Print the project's warnings (data repaired, units left out) in yellow on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HealthplanWarning)
        try:
            yield
        finally:
            for item in caught:
                if issubclass(item.category, HealthplanWarning):
                    line = _("warning: {message}").format(message=item.message)
                    err_console.print(Text(line, style="yellow"))


def _stopped(keep_incumbent: bool, out_dir: Path) -> bool:
    """True when a signal stopped the solve; raise Interrupted unless the plan is kept."""
    if not interrupt.requested():
        return False
    if not keep_incumbent:
        raise Interrupted(
            _(
                "stopped before the plan was written; {folder} is untouched "
                "(--keep-incumbent writes the best plan found so far)"
            ).format(folder=out_dir)
        )
    return True


def _fail(error: str | HealthplanError, code: int) -> typer.Exit:
    """Print ``error`` in red on stderr, in its own language; the Exit to raise with ``code``."""
    with use_language(getattr(error, "language", None)):
        line = _("error: {message}").format(message=error)
    err_console.print(Text(line, style="red"), soft_wrap=True)
    return typer.Exit(code)


def solve_config(
    config: Path,
    out_dir: Path,
    *,
    time_limit: float | None,
    sweep: list[str] | None,
    workers: int | None,
    scheduler: str | None,
    keep_incumbent: bool,
    language: str | None = None,
) -> None:
    """Solve and write a config (a sweep or regions too); raise ``typer.Exit`` on failure.

    The arguments are those of ``healthplan solve``; ``out_dir`` is the resolved output folder.
    """
    with language_scope():  # the language chosen here ends with the command
        set_language(language)
        try:
            raw = read_toml(config)
            grid = dict(parse_sweep_option(text) for text in sweep or [])
            if is_batch(raw, grid):
                output = raw.get("output") if isinstance(raw.get("output"), dict) else {}
                if language is not None:  # every plan of the batch in that language
                    raw = {**raw, "output": {**output, "language": language}}
                elif output.get("language") in LANGUAGES:
                    set_language(output["language"])
                with interrupt.signals():
                    code = solve_batch(
                        config,
                        out_dir,
                        sweep=grid,
                        time_limit=time_limit,
                        workers=workers,
                        scheduler=scheduler,
                        out_console=out_console,
                        err_console=err_console,
                        raw=raw,
                    )
                raise typer.Exit(code)
            with interrupt.signals(), _shown_warnings():
                stopped = _solve(config, raw, out_dir, time_limit, keep_incumbent, language)
        except (InputError, InfeasibleError) as exc:
            raise _fail(exc, 2) from None
        except Interrupted as exc:
            raise _fail(exc, 128 + (interrupt.signal_number() or 2)) from None
        except SolverError as exc:
            raise _fail(exc, 1) from None
        except KeyboardInterrupt:
            code = 128 + (interrupt.signal_number() or 2)
            raise _fail(_("stopped; {folder} is untouched").format(folder=out_dir), code) from None
        if stopped:
            raise typer.Exit(128 + interrupt.signal_number())


def _solve(
    config: Path,
    raw: dict,
    out_dir: Path,
    time_limit: float | None,
    keep_incumbent: bool,
    language: str | None,
) -> bool:
    """Solve and write a site or county config (``raw``: its parsed TOML) and print the
    summary in the plan's language; True when a signal stopped the solve."""
    cfg = load(config, raw)
    if time_limit is not None:
        cfg = cfg.with_time_limit(time_limit)
    if language is not None:
        cfg = with_language(cfg, language)
    set_language(cfg.output.language)
    check_out_folder(out_dir, [config, *input_files(cfg)])  # before the solve; write checks again
    with _progress() as step:
        done = run(cfg, progress=step, source=config)
        set_language(done.language)
        step.relabel()
        stopped = _stopped(keep_incumbent, out_dir)
        step("writing outputs")
        try:
            files = write(done, out_dir, inputs=[config])
        except OSError as exc:
            raise InputError(
                _("{folder}: cannot write the outputs ({reason}); choose another --out").format(
                    folder=out_dir, reason=exc.strerror or exc
                )
            ) from None
    if done.county is not None:
        out_console.print(county_table(done.county, out_dir, files))
    else:
        out_console.print(summary_table(cfg, done.plan, out_dir, files))
    return stopped


def county_table(county: CountyRun, out_dir: Path, files: list[Path]) -> Table:
    """A one-screen table of a county plan: sites, coverage, shortfall, stages, files."""
    plan, summary = county.plan, county.plan.summary
    table = Table(title=county.name, show_header=False, title_style="bold")
    table.add_column(style="bold")
    table.add_column()
    sites = plan.sites
    levels = {
        "hub": (
            _("hubs"),
            _("within {radius} min of a hub"),
            _("{n} unit(s) beyond every possible hub (see report)"),
        ),
        "clinic": (
            _("clinics"),
            _("within {radius} min of a clinic"),
            _("{n} unit(s) beyond every possible clinic (see report)"),
        ),
    }
    for level, (label, _within, _far) in levels.items():
        new = sites[(sites["level"] == level) & (sites["status"] == "new")]
        names = _(", ").join(f"{n} ({i})" for n, i in zip(new["name"], new["site_id"], strict=True))
        shown = f" ({names})" if 0 < len(new) <= SHOWN_SITES else ""
        table.add_row(label, Text(level_counts(plan, level) + shown))
    for level, radius, share in (
        ("hub", summary.hub_radius, summary.hub_share),
        ("clinic", summary.clinic_radius, summary.clinic_share),
    ):
        _label, within, beyond = levels[level]
        far = len(plan.unreachable.get(level, []))
        text = _("{share} of the population").format(share=f"{float(share):.1%}")
        if far:
            text += _("; ") + beyond.format(n=far)
        table.add_row(within.format(radius=f"{radius:g}"), Text(text))
    table.add_row(_("districts"), str(len(plan.districts)))
    if plan.roaming is not None and summary.roaming is not None:
        roaming = summary.roaming
        text = _("{villages} villages, {used} of {fleet} vehicle-days; route pool gap {gap}")
        text = text.format(
            villages=roaming.roaming_villages,
            used=roaming.vehicle_days_used,
            fleet=roaming.vehicle_days_fleet,
            gap=f"{plan.roaming.gap:.1%}",
        )
        if plan.roaming.timed_out:
            text += " " + _("(safety time limit reached)")
        table.add_row(_("roaming"), text)
    short = plan.staffing[plan.staffing["shortfall"] > 1e-6]
    table.add_row(
        _("staff shortfall"),
        _(", ").join(
            f"{heading(t)} {v:,.1f}"
            for t, v in zip(short["staff_type"], short["shortfall"], strict=True)
        )
        or _("none"),
    )
    stages = Text()
    for k, r in enumerate(plan.stages):
        stages.append((_("; ") if k else "") + f"{value_text(r.stage)} ")
        stages.append(str(value_text(r.status)), style="yellow" if r.stopped_early else "green")
        stages.append(f" {number_text(r.objective)}")
        if r.stopped_early:
            gap = _("(gap {gap})").format(gap=gap_text(r.gap))
            stages.append(f" {gap}", style="yellow")
    table.add_row(_("stages"), stages)
    warning = stages_warning(plan.stages)
    if warning:
        table.add_row(_("warning"), Text(warning, style="yellow"))
    table.add_row(_("output"), _files(out_dir, files))
    return table


def summary_table(cfg: Config, plan: SitePlan, out_dir: Path, files: list[Path]) -> Table:
    """A one-screen table of the solve, the opened sites, the demand served and the files."""
    result = plan.result
    table = Table(title=cfg.name, show_header=False, title_style="bold")
    table.add_column(style="bold")
    table.add_column()
    status_style = "green" if result.status == "optimal" else "yellow"
    table.add_row(_("problem"), cfg.model.problem)
    table.add_row(_("status"), Text(str(value_text(result.status)), style=status_style))
    unit = OBJECTIVE_UNITS.get(result.problem)
    objective = f"{result.objective:,.2f}"
    table.add_row(_("objective"), f"{objective} ({_(unit)})" if unit else objective)
    table.add_row(_("bound"), f"{result.bound:,.2f}")
    table.add_row(_("gap"), f"{result.gap:.2%}")
    table.add_row(_("seconds"), f"{result.seconds:.1f}")
    warning = solve_warning(result.status, result.gap)
    if warning:
        table.add_row(_("warning"), Text(warning, style="yellow"))
    table.add_row(_("sites opened"), _opened(plan))
    table.add_row(_("demand"), _demand(plan, cfg.model.radius))
    table.add_row(_("population served"), _served(plan))
    table.add_row(_("travel"), _trips(plan))
    table.add_row(_("output"), _files(out_dir, files))
    return table


def _opened(plan: SitePlan) -> Text:
    sites = plan.sites[plan.sites["open"].astype(bool)]
    names = [f"{row['name']} ({row['site_id']})" for _, row in sites.iterrows()]
    shown = _(", ").join(names[:SHOWN_SITES])
    if len(names) > SHOWN_SITES:
        shown = _("{listed} and {n} more").format(listed=shown, n=len(names) - SHOWN_SITES)
    return Text(f"{len(names)}: {shown}")


def _demand(plan: SitePlan, radius: float | None) -> str:
    demand = plan.assignments
    assigned = demand["site_id"].fillna("").astype(str) != ""
    text = _("{assigned} of {n} units assigned").format(assigned=int(assigned.sum()), n=len(demand))
    if radius is not None:
        covered = int((pd.to_numeric(demand["minutes"]) <= radius).sum())
        text += _(", {covered} within {radius} min").format(covered=covered, radius=f"{radius:g}")
    return text


def _served(plan: SitePlan) -> str:
    demand = plan.assignments
    assigned = demand["site_id"].fillna("").astype(str) != ""
    total = float(demand["population"].sum())
    served = float(demand.loc[assigned, "population"].sum())
    share = f" ({served / total:.1%})" if total > 0 else ""
    return _("{served} of {total}").format(served=f"{served:,.0f}", total=f"{total:,.0f}") + share


def _trips(plan: SitePlan) -> str:
    """Population-weighted mean and longest trip (minutes) of the assigned demand."""
    demand = plan.assignments
    minutes = pd.to_numeric(demand["minutes"])
    served = minutes.notna()
    if not served.any():
        return _("no demand assigned")
    people = demand.loc[served, "population"].astype(float)
    mean = float((minutes[served] * people).sum() / people.sum()) if people.sum() > 0 else 0.0
    return _("mean {mean} min per person, longest {longest} min").format(
        mean=f"{mean:.1f}", longest=f"{float(minutes[served].max()):.1f}"
    )


def _files(out_dir: Path, files: list[Path]) -> Text:
    """The top-level entries written (folders with their file counts)."""
    counts: dict[str, int] = {}
    for path in files:
        top = path.relative_to(out_dir).parts[0]
        counts[top] = counts.get(top, 0) + 1
    entries = [
        name if (out_dir / name).is_file() else _("{folder}/ ({n} files)").format(folder=name, n=n)
        for name, n in counts.items()
    ]
    return Text(f"{out_dir}: " + _(", ").join(entries))
