"""Run the tasks of a batch (scenarios and/or regions) on Dask and write the combined outputs.

By default an embedded ``distributed.LocalCluster`` runs one single-threaded worker process
per CPU core; ``scheduler="tcp://HOST:PORT"`` uses an existing cluster instead (its workers
must see the input files and the output folder at the same paths); ``workers=0`` (or a
batch of one task) runs the plans one after another in this process. Results come back in
task order, so the outputs do not depend on which worker finished first.

Layout of the output folder (written atomically, like a single plan's)::

    scenarios/<slug>/ or regions/<name>/[scenarios/<slug>/]   each plan's full outputs
    results.csv              one row per plan: values swept, status, error, figures
    regions.gpkg             many regions: layers of every region with a ``region`` column
    tradeoff.png             coverage (or travel) against sites opened, one point per plan
    report.md, report.html   results table, chart, failures and a link to every plan
    manifest.json            every file of the folder (each plan's folder has its own too)
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geodata.errors import InputError
from geodata.i18n import gettext as _
from geodata.i18n import language
from optimizer import interrupt
from optimizer.batch.report import write_combined
from optimizer.batch.task import TaskResult, run_task
from optimizer.config.batch import Batch, task_config, task_label
from optimizer.config.site import input_files
from optimizer.outputs.export import write_atomically

CONNECT_TIMEOUT = "20s"  # how long to wait for a --scheduler before giving up

OnDone = Callable[[TaskResult], None]


@dataclass
class BatchRun:
    """The results of every task (in task order) and the files written."""

    batch: Batch
    results: list[TaskResult]
    files: list[Path]

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if not r.planned]


def run_batch(
    batch: Batch,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_done: OnDone | None = None,
) -> BatchRun:
    """Plan every task of ``batch`` and write all outputs into ``out_dir``, atomically.

    Args:
        batch: tasks from :func:`optimizer.config.batch.load_batch`.
        out_dir: output folder (replaced as a whole when the batch is done).
        workers: local worker processes (default: CPU cores); 0 plans in this process.
        scheduler: address of a running Dask scheduler, e.g. "tcp://10.0.0.5:8786".
        on_start: called once with the number of tasks when they are submitted.
        on_done: called with each task's result as it finishes (any order).

    Raises:
        InputError: the scheduler cannot be reached, or ``out_dir`` cannot be replaced (it
            holds other files or an input of a plan, see
            :func:`optimizer.outputs.export.check_out_folder`).
    """
    out_dir = Path(out_dir).resolve()
    results: list[TaskResult] = []

    def write(folder: Path, formats: list[str]) -> list[Path]:
        results.extend(
            execute(
                batch,
                folder,
                workers=workers,
                scheduler=scheduler,
                on_start=on_start,
                on_done=on_done,
            )
        )
        return write_combined(batch, results, folder, formats)

    inputs = [batch.source, *(f for task in batch.tasks for f in input_files(task_config(task)))]
    files = write_atomically(out_dir, batch.output_formats, write, inputs=inputs)
    return BatchRun(batch, results, files)


def execute(
    batch: Batch,
    out_root: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_done: OnDone | None = None,
) -> list[TaskResult]:
    """Run every task, writing each plan under ``out_root``; the results in task order."""
    tasks = list(batch.tasks)
    done = on_done or (lambda _result: None)
    if on_start is not None:
        on_start(len(tasks))
    if scheduler is None and (workers == 0 or len(tasks) == 1):
        results = []
        for task in tasks:
            results.append(run_task(task, str(out_root)))
            if interrupt.requested():  # a signal stopped this plan's solve: stop the batch
                raise KeyboardInterrupt
            done(results[-1])
        return results
    if workers is not None and workers < 0:
        raise InputError(
            _("--workers {workers}: give 0 (no Dask) or more worker processes").format(
                workers=workers
            )
        )
    from distributed import Client, LocalCluster, as_completed

    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                _(
                    "--scheduler {scheduler}: cannot reach the Dask scheduler ({reason}); "
                    "check the address (tcp://HOST:PORT) and that the scheduler runs"
                ).format(scheduler=scheduler, reason=exc)
            ) from None
        cluster = None
    else:
        n = min(workers or os.cpu_count() or 1, len(tasks))
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never clash with another cluster
            # a task's error comes back as its result; worker logs would only add noise,
            # e.g. heartbeat tracebacks of busy workers when a signal closes the cluster
            silence_logs=logging.CRITICAL,
            preload=["optimizer.batch.run"],  # runs dask_setup below in every worker process
        )
        client = Client(cluster)
    try:
        # the workers give their messages in this process's language
        futures = {
            client.submit(run_task, task, str(out_root), language(), pure=False): task
            for task in tasks
        }
        by_index: dict[int, TaskResult] = {}
        for future in as_completed(futures):
            task = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its task only
                result = TaskResult(
                    index=task.index,
                    label=task_label(task),
                    folder=task.folder,
                    status="failed",
                    error=f"{type(exc).__name__}: {exc}",
                )
            by_index[task.index] = result
            done(result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [by_index[task.index] for task in tasks]


def dask_setup(worker: object) -> None:
    """Set up a local worker process (a Dask preload, see :func:`execute`): Ctrl-C in a
    terminal reaches every process of the group, and the batch process alone handles it (it
    closes the cluster); the workers ignore it instead of each printing a traceback."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
