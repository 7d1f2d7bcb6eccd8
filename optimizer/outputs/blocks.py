"""A report as a list of blocks, independent of its format: the county report
(``report``, ``report_roaming``), the comparison with the plan (``compare``) and the batch
report build them; ``report`` writes them as Markdown and HTML."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class Block:
    """One piece of the report: a heading, a paragraph, a warning, a table or an image (its
    ``text`` the image's description)."""

    kind: str  # "h1", "h2", "p", "warning", "table", "image", "link"
    text: str = ""
    table: pd.DataFrame | None = None
    target: str = ""  # "link", "image": the file linked or shown (relative to the report)
