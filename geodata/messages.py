"""Short listings for error messages, so one message can name every offending row or value."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .i18n import gettext as _
from .i18n import ngettext

SHOWN = 8


def listing(items: Iterable[object], limit: int = SHOWN, *, quote: bool = False) -> str:
    """Join the first `limit` items (single-quoted if `quote`) and say how many more there are."""
    items = [f"'{item}'" if quote else str(item) for item in items]
    hidden = len(items) - limit
    shown = ", ".join(items[:limit])
    if hidden <= 0:
        return shown
    return _("{shown} and {hidden} more").format(shown=shown, hidden=hidden)


def frame_label(frame: pd.DataFrame, default: str) -> str:
    """The file a frame was read from (``attrs["source"]``, set by the readers), or `default`."""
    return frame.attrs.get("source", default)


def frame_rows(frame: pd.DataFrame, positions: np.ndarray) -> str:
    """Rows of an in-memory frame: 1-based feature numbers, with the id where there is one."""
    ids = frame["id"].to_numpy() if "id" in frame.columns else None
    rows = listing(f"{p + 1}" + ("" if ids is None else f" (id '{ids[p]}')") for p in positions)
    return ngettext("feature {rows}", "features {rows}", len(positions)).format(rows=rows)
