"""Swap a finished staging folder in for an output folder, safe against a kill at any moment.

A run writes into a staging folder beside the output folder, named
``.<out>.<pid>.<random>.tmp``. When it is complete the two folders are exchanged in one
atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); elsewhere the old folder is first renamed
to ``.<out>.<pid>.<random>.old`` and the staging folder then takes its name. Either way the
output folder always holds one complete set of outputs. A run killed part-way (SIGKILL, power
loss) can leave a hidden staging or ``.old`` folder beside the output folder; the next run
writing there removes it (and puts an ``.old`` folder back if the output folder is missing)
once the process that made it is gone.
"""

from __future__ import annotations

import ctypes
import os
import re
import secrets
import shutil
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def staging_name(out_dir: Path) -> Path:
    """A fresh path for a hidden staging folder beside ``out_dir`` (not created yet, so a
    caller can create it inside the ``try`` that removes it on failure)."""
    return out_dir.parent / f".{out_dir.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths; False where the system cannot (then nothing changed)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def replace_folder(staging: Path, out_dir: Path) -> None:
    """Put ``staging`` in place of ``out_dir``; ``out_dir`` is never missing or half-written."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    if _exchange(staging, out_dir):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous outputs
        return
    old = staging.with_suffix(".old")
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except BaseException:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(out_dir: Path) -> list[Path]:
    """Staging and ``.old`` folders beside ``out_dir`` left by runs that are no longer alive."""
    if not out_dir.parent.is_dir():
        return []
    pattern = re.compile(rf"^\.{re.escape(out_dir.name)}\.(\d+)\.[^.]+\.(tmp|old)$")
    found = []
    for path in sorted(out_dir.parent.iterdir()):
        match = pattern.match(path.name)
        if match and path.is_dir() and not _alive(int(match[1])):
            found.append(path)
    return found


def recover(out_dir: Path) -> None:
    """Clean up after killed runs: restore an ``.old`` folder when ``out_dir`` is missing, and
    remove leftover staging folders."""
    for path in leftovers(out_dir):
        if path.suffix == ".old" and not out_dir.exists():
            path.rename(out_dir)
        else:
            shutil.rmtree(path, ignore_errors=True)
