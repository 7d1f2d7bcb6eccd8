"""Reader for multi-vehicle covering tour problem (m-CTP) instances (.ctp) and their optima.

The vertices of an instance come in three groups, in this order: T, mandatory (vertex 0 is the
depot), V\\T, optional (a visit covers customers), and W, customers (never visited). Distances
are TSPLIB EUC_2D: Euclidean distances rounded to the nearest integer, in coordinate units.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np

from geodata.errors import InputError


@dataclass
class CoveringTourInstance:
    """An m-CTP instance; vertex ids are 0-based, depot 0, then the rest of T, V\\T, W."""

    name: str  # the file name without ".ctp" (line 1 of a file may name another instance)
    n_mandatory: int  # |T|, the depot included
    n_optional: int  # |V\T|
    n_customers: int  # |W|
    p: int  # most vertices one route visits, the depot not counted
    q: float  # longest route, in distance units; math.inf when routes have no length limit
    distance: np.ndarray  # |V| x |V| integers, symmetric, zero diagonal: rounded distances
    covers: np.ndarray  # |V\T| x |W| booleans: [i, k] = vertex |T| + i covers vertex |V| + k
    coords: np.ndarray  # (|V| + |W|) x 2 floats: x, y of every vertex, customers last

    @property
    def n_visitable(self) -> int:
        """|V| = |T| + |V\\T|: the vertices a route may visit, the depot included."""
        return self.n_mandatory + self.n_optional

    @property
    def mandatory(self) -> range:
        """Ids of the mandatory vertices other than the depot (1 .. |T| - 1)."""
        return range(1, self.n_mandatory)

    @property
    def optional(self) -> range:
        """Ids of the optional vertices (|T| .. |V| - 1), rows of `covers` in order."""
        return range(self.n_mandatory, self.n_visitable)

    @property
    def customers(self) -> range:
        """Ids of the customers in `coords` (|V| .. |V| + |W| - 1), columns of `covers`."""
        return range(self.n_visitable, self.n_visitable + self.n_customers)

    @property
    def variant(self) -> str:
        """``"pq"`` when routes have a length limit q, else ``"p"``."""
        return "p" if math.isinf(self.q) else "pq"


@dataclass
class CoveringTourBounds:
    """Published bounds of one instance (one row of optima.csv); lengths in distance units."""

    instance: str
    variant: str  # "p" or "pq"
    p: int
    q: float  # math.inf for variant "p"
    lower_bound: float
    upper_bound: float
    optimal: bool  # lower bound = upper bound

    @property
    def optimum(self) -> float | None:
        """The proven optimal total length, or None when the bounds differ."""
        return self.upper_bound if self.optimal else None


def read_mctp(path: str | Path) -> CoveringTourInstance:
    """Read a .ctp file: line 2 ``|V\\T| |W| |T| p q``, the edge list of V, the coverage matrix,
    one line of multi-covering demands (ignored), then NODE_COORD_SECTION and EOF."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the file ({exc})") from None
    lines = [(number, line.split()) for number, line in enumerate(text.splitlines(), 1)]
    lines = [(number, tokens) for number, tokens in lines if tokens]
    reader = _Lines(path, lines)

    reader.next("a name")  # line 1: often stale, the file name is trusted instead
    number, header = reader.next("the sizes '|V\\T| |W| |T| p q'")
    if len(header) != 5:
        reader.fail(number, f"expected '|V\\T| |W| |T| p q', found '{' '.join(header)}'")
    n_optional, n_customers, n_mandatory, p = (
        _integer(reader, number, token, "size") for token in header[:4]
    )
    q = _number(reader, number, header[4], "q")
    if n_mandatory < 1 or p < 1 or n_optional < 0 or n_customers < 0:
        reader.fail(number, "|T| and p must be at least 1, |V\\T| and |W| at least 0")
    if not q > 0:
        reader.fail(number, f"q must be positive or inf, found {header[4]}")

    n_visitable = n_mandatory + n_optional
    n_vertices = n_visitable + n_customers
    needed = n_visitable * (n_visitable - 1) // 2 + n_optional + 1 + n_vertices
    if len(reader.rest()) < needed:
        reader.fail(number, f"the sizes ask for {needed} more lines, the file has fewer")
    distance = np.full((n_visitable, n_visitable), -1, dtype=np.int64)
    np.fill_diagonal(distance, 0)
    for _ in range(n_visitable * (n_visitable - 1) // 2):
        number, tokens = reader.next("an edge 'i j cost'")
        if len(tokens) != 3:
            reader.fail(number, f"expected an edge 'i j cost', found '{' '.join(tokens)}'")
        i, j = (_integer(reader, number, token, "vertex id") for token in tokens[:2])
        cost = _number(reader, number, tokens[2], "cost")
        if not (0 <= i < n_visitable and 0 <= j < n_visitable) or i == j:
            reader.fail(number, f"edge {i} {j}: ids must differ and lie in 0..{n_visitable - 1}")
        if not (math.isfinite(cost) and cost >= 0 and cost == round(cost)):
            reader.fail(number, f"edge {i} {j}: cost {tokens[2]} is not a whole number >= 0")
        if distance[i, j] >= 0:
            reader.fail(number, f"edge {i} {j} appears twice")
        distance[i, j] = distance[j, i] = round(cost)

    covers = np.zeros((n_optional, n_customers), dtype=bool)
    for row in range(n_optional):  # each row starts with the 0-based id of its vertex
        vertex = n_mandatory + row
        number, tokens = reader.next(f"the coverage row of vertex {vertex}")
        if len(tokens) != n_customers + 1 or tokens[0] != str(vertex):
            reader.fail(
                number,
                f"expected the coverage row of vertex {vertex}: "
                f"'{vertex}' and {n_customers} values of 0 or 1",
            )
        if any(token not in ("0", "1") for token in tokens[1:]):
            reader.fail(number, f"coverage row of vertex {vertex}: values must be 0 or 1")
        covers[row] = [token == "1" for token in tokens[1:]]

    while True:  # the multi-covering demands, not used by the m-CTP
        number, tokens = reader.next("NODE_COORD_SECTION")
        if tokens[0] == "NODE_COORD_SECTION":
            break
    coords = np.empty((n_vertices, 2))
    for vertex in range(n_vertices):  # each line starts with the 1-based id of its vertex
        number, tokens = reader.next(f"the coordinates of vertex {vertex}")
        if len(tokens) != 3 or tokens[0] != str(vertex + 1):
            reader.fail(number, f"expected the coordinates of vertex {vertex}: '{vertex + 1} x y'")
        coords[vertex] = [_number(reader, number, token, "coordinate") for token in tokens[1:]]
        if not np.isfinite(coords[vertex]).all():
            reader.fail(number, f"vertex {vertex}: coordinates must be finite")
    rest = [(number, tokens) for number, tokens in reader.rest() if tokens != ["EOF"]]
    if rest:
        reader.fail(rest[0][0], f"unexpected '{' '.join(rest[0][1])}' after the coordinates")

    return CoveringTourInstance(
        name=path.name.removesuffix(".ctp"),
        n_mandatory=n_mandatory,
        n_optional=n_optional,
        n_customers=n_customers,
        p=p,
        q=q,
        distance=distance,
        covers=covers,
        coords=coords,
    )


def read_optima(path: str | Path) -> dict[str, CoveringTourBounds]:
    """Read optima.csv (``instance,variant,p,q,lower_bound,upper_bound,optimal``) into
    {instance name: bounds}."""
    path = Path(path)
    columns = ["instance", "variant", "p", "q", "lower_bound", "upper_bound", "optimal"]
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the file ({exc})") from None
    if not rows or [cell.strip() for cell in rows[0]] != columns:
        raise InputError(f"{path}: the first row must be {','.join(columns)}")
    bounds: dict[str, CoveringTourBounds] = {}
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        try:
            if len(cells) != len(columns):
                raise ValueError
            name, variant, p, q, lower, upper, optimal = cells
            entry = CoveringTourBounds(
                name, variant, int(p), float(q), float(lower), float(upper), _flag(optimal)
            )
            if variant not in ("p", "pq") or math.isinf(entry.q) != (variant == "p"):
                raise ValueError
        except ValueError:
            raise InputError(f"{path}: row {number} is not a valid row: {','.join(row)}") from None
        if name in bounds:
            raise InputError(f"{path}: row {number}: instance {name} appears twice")
        bounds[name] = entry
    return bounds


class _Lines:
    """The non-blank lines of a file, as (line number, tokens), read in order."""

    def __init__(self, path: Path, lines: list[tuple[int, list[str]]]) -> None:
        self.path = path
        self.lines = lines
        self.position = 0

    def next(self, expected: str) -> tuple[int, list[str]]:
        if self.position >= len(self.lines):
            raise InputError(f"{self.path}: the file ends where {expected} should be")
        self.position += 1
        return self.lines[self.position - 1]

    def rest(self) -> list[tuple[int, list[str]]]:
        return self.lines[self.position :]

    def fail(self, number: int, message: str) -> NoReturn:
        raise InputError(f"{self.path}, line {number}: {message}")


def _integer(reader: _Lines, number: int, token: str, what: str) -> int:
    value = _number(reader, number, token, what)
    if not (math.isfinite(value) and value == round(value)):
        reader.fail(number, f"{what} {token} is not a whole number")
    return round(value)


def _number(reader: _Lines, number: int, token: str, what: str) -> float:
    try:
        value = float(token)
    except ValueError:
        value = math.nan
    if math.isnan(value):
        reader.fail(number, f"{what} {token} is not a number")
    return value


def _flag(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"
