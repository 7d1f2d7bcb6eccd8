"""Site and village names in a config resolved to ids, one rule for every key that names them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from geodata.errors import ConfigError


def resolve_names(
    keys: Sequence[str],
    ids: Sequence[str] | np.ndarray,
    *names: Sequence[str] | np.ndarray,
    what: str,
    noun: str = "site",
    source: str | Path = "config",
) -> list[str]:
    """The id of each key: the key itself when it is an id, else the one row whose name (in
    any of ``names``, e.g. names and display labels) equals it.

    Raises:
        ConfigError: one line per key that matches no row, or whose name several rows share,
            as ``source: what: ...``.
    """
    id_array = np.asarray(ids, dtype=str)
    known = set(id_array.tolist())
    out: list[str] = []
    problems: list[str] = []
    for key in keys:
        if key in known:
            out.append(key)
            continue
        hit = np.zeros(id_array.size, dtype=bool)
        for column in names:
            hit |= np.asarray(column, dtype=str) == key
        match = id_array[hit].tolist()
        if len(match) == 1:
            out.append(match[0])
        elif match:
            problems.append(f"{key!r} names {len(match)} {noun}s ({', '.join(match)}); use the id")
        else:
            problems.append(f"{key!r} is neither a {noun} id nor a {noun} name")
    if problems:
        raise ConfigError("\n".join(f"{source}: {what}: {p}" for p in problems))
    return out
