"""Many plans from one config: scenario sweeps (``[sweep]``) and many regions
(``[regions]``), expanded into tasks by ``optimizer.config.batch``, each planned and written
by ``task`` on Dask workers or in this process (``run``), the combined table, chart and
report (``report``) and the command-line face (``cli``).

``run_batch``, ``BatchRun`` and ``load_batch`` are loaded on first use, so importing a
submodule does not start loading Dask and the solvers.
"""

from __future__ import annotations

from geodata.lazy import lazy_names

_PUBLIC = {
    "BatchRun": "optimizer.batch.run",
    "run_batch": "optimizer.batch.run",
    "load_batch": "optimizer.config.batch",
}

__all__ = sorted(_PUBLIC)


__getattr__, __dir__ = lazy_names(__name__, _PUBLIC)
