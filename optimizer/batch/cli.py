"""``healthplan solve`` for a config with ``[sweep]`` or ``[regions]``: progress and summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from geodata.errors import Interrupted
from geodata.i18n import gettext as _
from optimizer.batch.run import BatchRun, run_batch
from optimizer.batch.task import TaskResult
from optimizer.config.batch import load_batch

SHOWN_ROWS = 30

# Exit code when some plans of a batch failed (the others' outputs and the report are written).
PARTIAL_FAILURE = 3


def solve_batch(
    config: Path,
    out_dir: Path,
    *,
    sweep: dict[str, list[Any]],
    time_limit: float | None,
    workers: int | None,
    scheduler: str | None,
    out_console: Console,
    err_console: Console,
    raw: dict[str, Any] | None = None,
) -> int:
    """Run every plan of a batch config with a done/total progress bar, print the summary;
    the exit code: 0 all solved, 3 some failed. ``raw``: the config's TOML, when already parsed.

    A signal (Ctrl-C, SIGTERM; see :func:`optimizer.interrupt.signals`) stops the batch:
    the worker processes are closed, the staging folder is removed and ``out_dir`` keeps
    its earlier outputs.

    Raises:
        ConfigError, InputError: a bad config, scheduler address or output folder.
        Interrupted: a signal stopped the batch (the message says how many plans were done).
    """
    batch = load_batch(config, sweep, time_limit=time_limit, raw=raw)
    what = _("scenarios done") if batch.sweep_keys else _("regions done")
    progress = Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]}"),
        TimeElapsedColumn(),
        console=err_console,
    )
    with progress:
        bar = progress.add_task(what, total=len(batch.tasks), failed="")
        failed = 0

        def done(result: TaskResult) -> None:
            nonlocal failed
            failed += not result.planned
            text = "[red]" + _("{n} failed").format(n=failed) if failed else ""
            progress.update(bar, advance=1, failed=text)

        try:
            run = run_batch(batch, out_dir, workers=workers, scheduler=scheduler, on_done=done)
        except KeyboardInterrupt:
            finished = int(progress.tasks[0].completed)
            raise Interrupted(
                _(
                    "stopped after {finished} of {total} plans; nothing was written and "
                    "{out_dir} is untouched"
                ).format(finished=finished, total=len(batch.tasks), out_dir=out_dir)
            ) from None
    out_console.print(batch_table(run, out_dir))
    return PARTIAL_FAILURE if run.failed else 0


def batch_table(run: BatchRun, out_dir: Path) -> Table:
    """One line per plan (label, status, key figure or error) and the output folder."""
    batch = run.batch
    title = _("{name}: {n} plans").format(name=batch.name, n=len(run.results))
    table = Table(title=title, title_style="bold")
    table.add_column("#", justify="right")
    table.add_column(_("plan"))
    table.add_column(_("status"))
    table.add_column(_("result"))
    for result in run.results[:SHOWN_ROWS]:
        style = "green" if result.status == "ok" else "yellow" if result.planned else "red"
        table.add_row(
            str(result.index + 1),
            result.label,
            Text(result.status, style=style),
            _figures(result.metrics) if result.planned else Text(result.error, style="red"),
        )
    if len(run.results) > SHOWN_ROWS:
        more = _("... {n} more in results.csv").format(n=len(run.results) - SHOWN_ROWS)
        table.add_row("", more, "", "")
    early = sum(r.planned and r.status != "ok" for r in run.results)
    caption = _("{solved} solved, {failed} failed; ").format(
        solved=len(run.results) - len(run.failed), failed=len(run.failed)
    )
    if early:
        caption += _("{n} not proven optimal (a limit stopped a solve: see the report); ").format(
            n=early
        )
    table.caption = caption + _("outputs in {folder} (report.html, results.csv)").format(
        folder=out_dir
    )
    return table


def _figures(m: dict[str, Any]) -> str:
    if "hubs" in m:
        return _("{hubs} hubs, {clinics} clinics; {share} within {radius} min of a hub").format(
            hubs=m["hubs"],
            clinics=m["clinics"],
            share=f"{m['hub_share']:.1%}",
            radius=f"{m['hub_radius']:g}",
        )
    text = _("{n} sites; mean {minutes} min").format(
        n=m["sites_open"], minutes=f"{m['mean_minutes']:.1f}"
    )
    if "radius_share" in m:
        text += _("; {share} within {radius} min").format(
            share=f"{m['radius_share']:.1%}", radius=f"{m['radius']:g}"
        )
    return text
