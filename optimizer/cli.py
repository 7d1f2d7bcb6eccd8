"""The ``healthplan`` command line: solve a TOML config and write the plan's files.

``healthplan solve`` runs a site-location config, or a county-plan config (one with a
``[hub]`` section: hubs, clinics, districts and staffing, see ``optimizer.config.county``).

Exit codes: 0 success; 2 bad config, bad data, infeasible targets or an unusable output
folder (message in red, no traceback); 1 the solver found no usable solution; 3 some plans
of a sweep or many-regions run failed (the others are written; the report says why); 130
(143) stopped by Ctrl-C (SIGTERM): the previous outputs are untouched unless
``--keep-incumbent`` asked to write the best plan found so far (flagged "interrupted" with
its gap).
"""

from __future__ import annotations

import atexit
import gc
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from optimizer.versions import installed_version

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Place county health facilities with location models solved by HiGHS.",
)

out_console = Console()


def _spare_teardown() -> None:
    """At exit, collect the cyclic garbage once (its finalizers run) and freeze what is left,
    so that the garbage collections of interpreter shutdown skip the many objects the solver
    and GIS libraries leave behind (0.6 s after the Qingyuan county plan)."""
    gc.collect()
    gc.freeze()


class Language(StrEnum):
    """Languages of the outputs and messages."""

    zh = "zh"
    en = "en"


@app.command()
def solve(
    config: Annotated[Path, typer.Argument(help="TOML config file of the run.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default: out/<config name>)."),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Solver time limit in seconds (overrides the config)."),
    ] = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option(
            "--sweep",
            help="Plan every value of a config key, e.g. 'hub.radius=[20, 30]' (repeatable; "
            "adds to the config's [sweep] grid).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Local Dask worker processes for sweeps and regions (default: CPU cores; "
            "0: one plan after another in this process).",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run sweeps and regions on this Dask scheduler "
            "(tcp://HOST:PORT) instead of a local cluster.",
        ),
    ] = None,
    keep_incumbent: Annotated[
        bool,
        typer.Option(
            "--keep-incumbent",
            help="On Ctrl-C, write the best plan found so far (flagged as interrupted).",
        ),
    ] = False,
    lang: Annotated[
        Language | None,
        typer.Option(
            "--lang",
            help="Language of the report, maps and messages (default: [output] language, "
            "else zh when the demand names are Chinese).",
        ),
    ] = None,
) -> None:
    """Solve the location model or county plan a config describes; write maps and GIS layers."""
    if time_limit is not None and time_limit <= 0:
        raise typer.BadParameter("must be a number of seconds > 0", param_hint="--time-limit")
    out_dir = out if out is not None else Path("out") / config.stem
    atexit.unregister(_spare_teardown)  # once per process; runs after handlers added later
    atexit.register(_spare_teardown)
    # imported here: it loads the solver and GIS libraries, which --help and version do not need
    from optimizer.solve_cli import solve_config

    solve_config(
        config,
        out_dir,
        time_limit=time_limit,
        sweep=sweep,
        workers=workers,
        scheduler=scheduler,
        keep_incumbent=keep_incumbent,
        language=lang.value if lang is not None else None,
    )


@app.command("version")
def show_version() -> None:
    """Print the healthplan and HiGHS versions."""
    out_console.print(f"healthplan {installed_version()} (HiGHS {installed_version('highspy')})")
