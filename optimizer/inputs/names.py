"""Site and village names in a config resolved to ids, one rule for every key that names them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from geodata.errors import ConfigError
from geodata.i18n import N_
from geodata.i18n import gettext as _

# Per kind of row a key may name: the messages for a name several rows share (n >= 2) and
# for a key that is neither an id nor a name.
NAME_PROBLEMS = {
    "site": (
        N_("{key} names {n} sites ({ids}); use the id"),
        N_("{key} is neither a site id nor a site name"),
    ),
    "demand unit": (
        N_("{key} names {n} demand units ({ids}); use the id"),
        N_("{key} is neither a demand unit id nor a demand unit name"),
    ),
    "village": (
        N_("{key} names {n} villages ({ids}); use the id"),
        N_("{key} is neither a village id nor a village name"),
    ),
}


def resolve_names(
    keys: Sequence[str],
    ids: Sequence[str] | np.ndarray,
    *names: Sequence[str] | np.ndarray,
    what: str,
    noun: str = "site",  # a key of NAME_PROBLEMS
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
            text = _(NAME_PROBLEMS[noun][0])
            problems.append(text.format(key=repr(key), n=len(match), ids=", ".join(match)))
        else:
            problems.append(_(NAME_PROBLEMS[noun][1]).format(key=repr(key)))
    if problems:
        raise ConfigError("\n".join(f"{source}: {what}: {p}" for p in problems))
    return out
