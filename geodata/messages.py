"""Short listings for error messages, so one message can name every offending row or value."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

SHOWN = 8


def listing(items: Iterable[object], limit: int = SHOWN, *, quote: bool = False) -> str:
    """Join the first `limit` items (single-quoted if `quote`) and say how many more there are."""
    items = [f"'{item}'" if quote else str(item) for item in items]
    hidden = len(items) - limit
    shown = ", ".join(items[:limit])
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def frame_label(frame: pd.DataFrame, default: str) -> str:
    """The file a frame was read from (``attrs["source"]``, set by the readers), or `default`."""
    return frame.attrs.get("source", default)


def frame_rows(frame: pd.DataFrame, positions: np.ndarray) -> str:
    """Rows of an in-memory frame: 1-based feature numbers, with the id where there is one."""
    ids = frame["id"].to_numpy() if "id" in frame.columns else None
    word = "feature" if len(positions) == 1 else "features"
    return f"{word} " + listing(
        f"{p + 1}" + ("" if ids is None else f" (id '{ids[p]}')") for p in positions
    )
