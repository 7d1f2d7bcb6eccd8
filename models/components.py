"""Split a covering instance into independent parts (connected components).

Groups (rows) and sites (columns) are linked when the site covers the group. Two parts
with no link between them share no site, so each can be solved on its own and the
optimal plans combined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from models.covering import CoverageGroups


@dataclass
class CoverPart:
    """One connected part: its groups (renumbered 0..n-1) and the original site indices.

    In ``groups`` the site of each pair is local: ``sites[groups.site]`` gives the original.
    """

    groups: CoverageGroups
    sites: np.ndarray


def cover_parts(groups: CoverageGroups, n_sites: int, live_sites: np.ndarray) -> list[CoverPart]:
    """The connected parts of the groups x live sites coverage graph.

    Pairs with sites outside ``live_sites`` (sorted site indices) are ignored; live sites
    covering no group belong to no part. Parts come in order of their lowest group.
    """
    local = np.full(n_sites, -1, dtype=np.int64)
    local[live_sites] = np.arange(live_sites.size)
    col = local[groups.site]
    keep = col >= 0
    rows, cols = groups.group[keep], col[keep]
    n_rows, n_cols = groups.n_groups, live_sites.size
    link = sp.coo_array(
        (np.ones(rows.size, dtype=np.int8), (rows, n_rows + cols)),
        shape=(n_rows + n_cols, n_rows + n_cols),
    )
    _, label = connected_components(link, directed=False)
    row_label = label[:n_rows]
    # renumber parts by their lowest group
    firsts, part_of_row = np.unique(row_label, return_inverse=True)
    part_of_pair = part_of_row[rows]
    order = np.lexsort((cols, rows, part_of_pair))
    rows, cols, part_of_pair = rows[order], cols[order], part_of_pair[order]
    pair_bounds = np.searchsorted(part_of_pair, np.arange(firsts.size + 1))
    rows_by_part = np.argsort(part_of_row, kind="stable")
    row_bounds = np.searchsorted(part_of_row[rows_by_part], np.arange(firsts.size + 1))
    new_row = np.full(n_rows, -1, dtype=np.int64)
    for part_rows in np.split(rows_by_part, row_bounds[1:-1]):
        new_row[part_rows] = np.arange(part_rows.size)
    parts = []
    for k in range(firsts.size):
        r = rows[pair_bounds[k] : pair_bounds[k + 1]]
        c = cols[pair_bounds[k] : pair_bounds[k + 1]]
        part_rows = rows_by_part[row_bounds[k] : row_bounds[k + 1]]
        part_cols = np.unique(c)
        in_part = np.zeros(n_rows, dtype=bool)
        in_part[part_rows] = True
        member = (groups.group_of >= 0) & in_part[np.maximum(groups.group_of, 0)]
        group_of = np.where(member, new_row[np.maximum(groups.group_of, 0)], -1)
        sub = CoverageGroups(
            int(part_rows.size),
            group_of,
            new_row[r],
            np.searchsorted(part_cols, c),
            groups.weight[part_rows],
        )
        parts.append(CoverPart(sub, live_sites[part_cols]))
    return parts
