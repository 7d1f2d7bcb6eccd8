"""Run one benchmark case in a fresh process: wall timeout, memory cap, peak memory."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass

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


def peak_rss_mib() -> float:
    """Peak resident memory (MiB) of this process or any child it waited for (e.g. CBC)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return max(own, children) * scale / MIB


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
