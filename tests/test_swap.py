"""The output-folder swap: atomic exchange, the rename fallback, and recovery after a kill."""

from __future__ import annotations

import os
import subprocess
import sys

import optimizer.outputs.swap as swap


def folder(path, text: str):
    path.mkdir()
    (path / "summary.csv").write_text(text)
    return path


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_exchange_puts_the_new_outputs_in_place(tmp_path):
    out = folder(tmp_path / "out", "old")
    staging = folder(swap.staging_name(out), "new")
    swap.replace_folder(staging, out)
    assert (out / "summary.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_rename_fallback_gives_the_same_result(tmp_path, monkeypatch):
    monkeypatch.setattr(swap, "_exchange", lambda a, b: False)
    out = folder(tmp_path / "out", "old")
    swap.replace_folder(folder(swap.staging_name(out), "new"), out)
    assert (out / "summary.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_recover_after_a_kill_between_the_two_renames(tmp_path):
    out = tmp_path / "out"
    pid = dead_pid()
    folder(tmp_path / f".out.{pid}.abcd1234.old", "previous")  # out was renamed away ...
    folder(tmp_path / f".out.{pid}.abcd1234.tmp", "half")  # ... the new one never moved in
    swap.recover(out)
    assert (out / "summary.csv").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_recover_keeps_the_folders_of_running_processes_and_others(tmp_path):
    out = folder(tmp_path / "out", "current")
    mine = folder(tmp_path / f".out.{os.getpid()}.abcd1234.tmp", "being written")
    other = folder(tmp_path / ".outbox", "not ours")
    stale = folder(tmp_path / f".out.{dead_pid()}.ffff0000.tmp", "stale")
    swap.recover(out)
    assert mine.is_dir() and other.is_dir() and not stale.exists()
    assert (out / "summary.csv").read_text() == "current"
