"""Run one benchmark case in a fresh process: wall timeout, memory cap, peak memory."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass
class Outcome:
    """What a worker process reported, or why it reported nothing.

    ``state`` is "done" (``record`` holds the worker's JSON), "timeout", "out of memory"
    or "error" (``message`` says more).
    """

    state: str
    record: dict
    message: str = ""


def _status_kib(field: str) -> float | None:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status in KiB (None off Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def _maxrss_mib(who: int) -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(who).ru_maxrss * scale / MIB


def start_peak_window() -> float:
    """Reset this process's peak-memory mark (Linux) and return its resident size (MiB)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return _maxrss_mib(resource.RUSAGE_SELF)
    rss = _status_kib("VmRSS")
    return rss / 1024 if rss is not None else _maxrss_mib(resource.RUSAGE_SELF)


def peak_mib() -> float:
    """Peak resident size (MiB) of this process since the last window start."""
    hwm = _status_kib("VmHWM")
    return hwm / 1024 if hwm is not None else _maxrss_mib(resource.RUSAGE_SELF)


class ChildPeak:
    """Samples the summed resident size (MiB) of this process's children every ``every`` s.

    Catches a solver run as a subprocess (spopt runs CBC as one); Linux only, else 0.
    """

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page_mib = os.sysconf("SC_PAGE_SIZE") / MIB

    def __enter__(self) -> ChildPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> float:
        listing = Path(f"/proc/self/task/{os.getpid()}/children")
        total = 0.0
        try:
            for pid in listing.read_text().split():
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page_mib
        except (OSError, ValueError, IndexError):
            pass
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self._sample())


def _limit_memory(gib: float | None):
    def apply() -> None:
        if gib is not None:
            size = int(gib * 1024 * MIB)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return apply


def run_worker(argv: list[str], *, timeout: float, memory_gib: float | None) -> Outcome:
    """Run ``python argv...`` in a new session; its last stdout line must be a JSON object.

    On timeout the whole process group (the solver's own subprocesses included) is killed.
    """
    proc = subprocess.Popen(
        [sys.executable, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_limit_memory(memory_gib),
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Outcome("timeout", {}, f"killed after {timeout:g} s")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode == 0 and lines:
        record = json.loads(lines[-1])
        return Outcome(record.pop("state", "done"), record, record.pop("message", ""))
    tail = (err.strip().splitlines() or ["no output"])[-1]
    if "MemoryError" in err or proc.returncode in (-signal.SIGKILL, -signal.SIGSEGV):
        return Outcome("out of memory", {}, tail)
    return Outcome("error", {}, tail)
