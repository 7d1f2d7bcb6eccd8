"""Stop a running solve on request (Ctrl-C, SIGTERM) and keep the best plan found so far.

Outside :func:`signals` nothing changes: Ctrl-C raises ``KeyboardInterrupt`` as usual. Inside
it (the command line), a signal that arrives while a model is being solved does not kill the
process: it asks every running HiGHS solve to stop (``Highs.cancelSolve``, checked by HiGHS in
its simplex, interior-point and MIP interrupt callbacks) and makes the Python search loops
(p-median branch and bound, p-center search, county stages) stop at their next step. The
solvers then return their incumbent with status "interrupted", or raise
:class:`~geodata.errors.Interrupted` when they have none. A signal outside a solve (reading
data, writing files) raises ``KeyboardInterrupt`` at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from geodata.errors import Interrupted

if TYPE_CHECKING:
    import highspy

__all__ = ["Interrupted", "request", "requested", "run", "signal_number", "signals", "solving"]

_lock = threading.Lock()
_running: set[highspy.Highs] = set()
_state = {"handling": False, "solving": 0, "signal": 0}


def requested() -> bool:
    """True once a signal caught by :func:`signals` asked the current solve to stop."""
    return _state["handling"] and _state["signal"] != 0


def signal_number() -> int:
    """The number of the last signal :func:`signals` caught (0 if none); kept after the block
    ends so the caller can turn it into an exit code."""
    return _state["signal"]


def request(signum: int = signal.SIGINT) -> None:
    """Ask the solve running inside :func:`signals` to stop, as if ``signum`` had arrived
    (callable from another thread, e.g. a GUI's stop button)."""
    _state["signal"] = signum
    with _lock:
        for highs in _running:
            highs.cancelSolve()


def _handler(signum: int, _frame: object) -> None:
    _state["signal"] = signum
    if not _state["solving"]:
        raise KeyboardInterrupt
    request(signum)


@contextmanager
def signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into stop requests for solves run inside this block.

    Only the main thread can install signal handlers; elsewhere (e.g. a Dask worker thread)
    only :func:`request` can stop the solve.
    """
    main = threading.current_thread() is threading.main_thread()
    names = (signal.SIGINT, signal.SIGTERM) if main else ()
    previous = {s: signal.signal(s, _handler) for s in names}
    _state.update(handling=True, solving=0, signal=0)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _state.update(handling=False, solving=0)


@contextmanager
def solving() -> Iterator[None]:
    """Mark a solve: a signal inside :func:`signals` now stops the search instead of raising."""
    _state["solving"] += 1
    try:
        yield
    finally:
        _state["solving"] -= 1


def run(highs: highspy.Highs) -> None:
    """``highs.run()``, stoppable by a signal when :func:`signals` is active.

    Interrupt callbacks are switched on only then, so library use pays nothing for them.
    """
    if not _state["handling"]:
        highs.run()
        return
    highs.HandleUserInterrupt = True
    with solving():
        with _lock:
            _running.add(highs)
        try:
            if requested():
                highs.cancelSolve()
            highs.run()
        finally:
            with _lock:
                _running.discard(highs)
