"""The m-CTP benchmark files read as the literature built them: sizes as the file names say,
TSPLIB EUC_2D edge costs, the covering radius rule, q = 2 x the farthest vertex + slack, the
published bounds consistent; and the reader rejects broken files with a clear message."""

from __future__ import annotations

import functools
import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

from geodata.errors import InputError
from geodata.mctp import CoveringTourBounds, CoveringTourInstance, read_mctp, read_optima

MCTP = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "mctp"
needs_mctp = pytest.mark.skipif(
    not (MCTP / "optima.csv").is_file(), reason=f"m-CTP benchmark files not found in {MCTP}"
)

SIZES = [(1, 25, 75), (5, 25, 75), (1, 50, 50), (10, 50, 50)]  # |T|, |V|, |W|
NAMES = [
    f"{base}-{t}-{v}-{w}-{p}{suffix}"
    for base in ("A1", "B1")
    for t, v, w in SIZES
    for p in (4, 5, 6, 8)
    for suffix in ("", "-250", "-500")
]
PATTERN = re.compile(r"(A1|B1)-(\d+)-(\d+)-(\d+)-(\d+)(?:-(250|500))?")


@functools.cache
def instance(name: str) -> CoveringTourInstance:
    return read_mctp(MCTP / f"{name}.ctp")


@functools.cache
def optima() -> dict[str, CoveringTourBounds]:
    return read_optima(MCTP / "optima.csv")


def nint_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """TSPLIB EUC_2D: Euclidean distance rounded to the nearest integer, between rows of a, b."""
    diff = a[:, None, :] - b[None, :, :]
    return np.floor(np.hypot(diff[..., 0], diff[..., 1]) + 0.5).astype(np.int64)


@needs_mctp
def test_the_folder_holds_the_96_files_and_one_optima_row_each():
    assert sorted(path.stem for path in MCTP.glob("*.ctp")) == sorted(NAMES)
    assert sorted(optima()) == sorted(NAMES)


@needs_mctp
@pytest.mark.parametrize("name", NAMES)
def test_sizes_p_and_q_agree_with_the_file_name_and_optima(name):
    inst = instance(name)
    _, t, v, w, p, slack = PATTERN.fullmatch(name).groups()
    assert inst.name == name
    assert (inst.n_mandatory, inst.n_visitable, inst.n_customers) == (int(t), int(v), int(w))
    assert inst.n_optional == int(v) - int(t)
    assert inst.p == int(p)
    assert inst.distance.shape == (int(v), int(v))
    assert inst.covers.shape == (int(v) - int(t), int(w))
    assert inst.coords.shape == (int(v) + int(w), 2)
    bounds = optima()[name]
    assert (bounds.variant, bounds.p) == (inst.variant, inst.p)
    assert bounds.q == inst.q
    if slack is None:
        assert inst.q == math.inf
    else:
        assert inst.q == 2 * inst.distance[0].max() + int(slack)


@needs_mctp
@pytest.mark.parametrize("name", NAMES)
def test_edge_costs_are_the_euc2d_distances_of_the_coordinates(name):
    inst = instance(name)
    visitable = inst.coords[: inst.n_visitable]
    assert inst.distance.dtype.kind == "i"
    assert np.array_equal(inst.distance, inst.distance.T)
    assert np.array_equal(inst.distance, nint_distances(visitable, visitable))


@needs_mctp
@pytest.mark.parametrize("name", NAMES)
def test_coverage_follows_the_smallest_covering_radius(name):
    inst = instance(name)
    assert inst.covers.sum(axis=0).min() >= 2  # every customer: at least two optional vertices
    assert inst.covers.sum(axis=1).min() >= 1  # every optional vertex covers a customer
    d = nint_distances(
        inst.coords[inst.optional.start : inst.optional.stop], inst.coords[inst.customers.start :]
    )
    radius = max(np.sort(d, axis=0)[1].max(), d.min(axis=1).max())
    assert np.array_equal(inst.covers, d <= radius)


@needs_mctp
@pytest.mark.parametrize("name", [name for name in NAMES if PATTERN.fullmatch(name)[6] is None])
def test_a_p_file_is_its_250_twin_but_for_q(name):
    inst, twin = instance(name), instance(f"{name}-250")
    assert inst.q == math.inf and twin.q < math.inf
    for field in ("n_mandatory", "n_optional", "n_customers", "p"):
        assert getattr(inst, field) == getattr(twin, field)
    for field in ("distance", "covers", "coords"):
        assert np.array_equal(getattr(inst, field), getattr(twin, field))
    lines = (MCTP / f"{name}.ctp").read_bytes().split(b"\n")
    twin_lines = (MCTP / f"{name}-250.ctp").read_bytes().split(b"\n")
    assert len(lines) == len(twin_lines)
    assert [i for i, (a, b) in enumerate(zip(lines, twin_lines, strict=True)) if a != b] == [1]


@needs_mctp
def test_the_published_bounds_are_proven_and_consistent():
    bounds = optima()
    assert all(b.optimal and b.lower_bound == b.upper_bound == b.optimum for b in bounds.values())
    for name, b in bounds.items():
        base, t, v, w, p, slack = PATTERN.fullmatch(name).groups()
        # more slack, no length limit, or a larger p relaxes the problem: never a larger optimum
        if slack == "250":
            assert bounds[name[:-4] + "-500"].optimum <= b.optimum
        if slack == "500":
            assert bounds[name[:-4]].optimum <= b.optimum
        larger = [q for q in (4, 5, 6, 8) if q > int(p)]
        if larger:
            relaxed = f"{base}-{t}-{v}-{w}-{larger[0]}" + (f"-{slack}" if slack else "")
            assert bounds[relaxed].optimum <= b.optimum


# --- the reader on small hand-written files --------------------------------------------------

# |T| = 2 (depot 0 and vertex 1), optional 2 and 3, customers 4, 5, 6
TINY = [
    "stale-name.ctp",
    "2 3 2 2 30.00 ",
    "0 1 3.00",
    "0 2 4.00",
    "0 3 5.000",
    "1 2 5.00",
    "1 3 4.00",
    "2 3 3.00",
    "",
    "2 1 1 0",
    "3 0 1 1",
    "1 2 1",
    "NODE_COORD_SECTION",
    "1 0 0",
    "2 3 0",
    "3 0 4",
    "4 3 4",
    "5 0 5",
    "6 1 5",
    "7 3 5",
    "EOF",
]


def write(tmp_path: Path, lines: list[str], name: str = "tiny.ctp", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(newline.join(lines).encode() + b"\n")
    return path


def test_a_small_file_reads_as_written(tmp_path):
    inst = read_mctp(write(tmp_path, TINY, "T-2-4-3-2-250.ctp"))
    assert inst.name == "T-2-4-3-2-250"
    assert (inst.n_mandatory, inst.n_optional, inst.n_customers) == (2, 2, 3)
    assert (inst.p, inst.q, inst.variant) == (2, 30.0, "pq")
    assert list(inst.mandatory) == [1]
    assert list(inst.optional) == [2, 3]
    assert list(inst.customers) == [4, 5, 6]
    assert inst.distance.tolist() == [[0, 3, 4, 5], [3, 0, 5, 4], [4, 5, 0, 3], [5, 4, 3, 0]]
    assert inst.covers.tolist() == [[True, True, False], [False, True, True]]
    assert inst.coords[-1].tolist() == [3.0, 5.0]


def test_mixed_line_endings_and_an_inf_q_are_read(tmp_path):
    lines = list(TINY)
    lines[1] = "2 3 2 2 inf"
    path = tmp_path / "mixed.ctp"
    path.write_bytes(("\r\n".join(lines[:8]) + "\n" + "\n".join(lines[8:]) + "\r\n").encode())
    inst = read_mctp(path)
    assert inst.q == math.inf and inst.variant == "p"
    assert inst.distance[0, 3] == 5


def replaced(index: int, line: str | None) -> list[str]:
    lines = list(TINY)
    if line is None:
        del lines[index]
    else:
        lines[index] = line
    return lines


BROKEN = {
    "header fields": (replaced(1, "2 3 2 2"), "line 2: expected '|V\\T| |W| |T| p q'"),
    "header number": (replaced(1, "2 3 two 2 30"), "line 2: size two is not a number"),
    "zero p": (replaced(1, "2 3 2 0 30"), "line 2: |T| and p must be at least 1"),
    "negative q": (replaced(1, "2 3 2 2 -1"), "line 2: q must be positive or inf"),
    "edge fields": (replaced(3, "0 2"), "line 4: expected an edge 'i j cost'"),
    "edge id": (replaced(3, "0 9 4.00"), "line 4: edge 0 9: ids must differ and lie in 0..3"),
    "self loop": (replaced(3, "2 2 4.00"), "line 4: edge 2 2: ids must differ"),
    "fraction": (replaced(3, "0 2 4.50"), "line 4: edge 0 2: cost 4.50 is not a whole number"),
    "duplicate": (replaced(3, "1 0 3.00"), "line 4: edge 1 0 appears twice"),
    "row label": (replaced(9, "1 1 1 0"), "line 10: expected the coverage row of vertex 2"),
    "row length": (replaced(10, "3 0 1"), "line 11: expected the coverage row of vertex 3"),
    "row value": (replaced(10, "3 0 2 1"), "line 11: coverage row of vertex 3: values must"),
    "no section": (replaced(12, None), "the file ends where NODE_COORD_SECTION should be"),
    "vertex id": (replaced(14, "3 3 0"), "line 15: expected the coordinates of vertex 1: '2 x y'"),
    "coordinate": (replaced(14, "2 3 x"), "line 15: coordinate x is not a number"),
    "truncated": (TINY[:17], "line 2: the sizes ask for 16 more lines, the file has fewer"),
    "huge sizes": (replaced(1, "2 3 200000 2 30"), "line 2: the sizes ask for"),
    "one vertex short": (TINY[:19] + ["EOF"], "line 20: expected the coordinates of vertex 6"),
    "trailing": (TINY + ["8 1 1"], "line 22: unexpected '8 1 1' after the coordinates"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_file_names_itself_and_the_fault(tmp_path, case):
    lines, expected = BROKEN[case]
    path = write(tmp_path, lines)
    with pytest.raises(InputError) as error:
        read_mctp(path)
    message = str(error.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message and len(message) < len(str(path)) + 120


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read the file"):
        read_mctp(tmp_path / "absent.ctp")


def test_optima_rows_are_read_and_checked(tmp_path):
    header = "instance,variant,p,q,lower_bound,upper_bound,optimal"
    path = tmp_path / "optima.csv"
    path.write_text(f"{header}\r\nX-4,p,4,inf,10,10,true\r\nX-4-250,pq,4,99,9,12,false\r\n")
    bounds = read_optima(path)
    assert bounds["X-4"].optimum == 10 and bounds["X-4"].q == math.inf
    assert bounds["X-4-250"].optimum is None and bounds["X-4-250"].q == 99
    for row, expected in [
        ("X-4,p,4,99,10,10,true", "row 2 is not a valid row"),
        ("X-4,p,4,inf,10,10", "row 2 is not a valid row"),
        ("X-4,p,4,inf,10,10,yes", "row 2 is not a valid row"),
    ]:
        path.write_text(f"{header}\n{row}\n")
        with pytest.raises(InputError, match=expected):
            read_optima(path)
    path.write_text(f"{header}\nX-4,p,4,inf,10,10,true\nX-4,p,4,inf,10,10,true\n")
    with pytest.raises(InputError, match="row 3: instance X-4 appears twice"):
        read_optima(path)
    path.write_text("name,value\nX-4,10\n")
    with pytest.raises(InputError, match="the first row must be instance,variant"):
        read_optima(path)


def test_every_pair_of_a_small_file_is_an_edge(tmp_path):
    inst = read_mctp(write(tmp_path, TINY))
    pairs = itertools.combinations(range(inst.n_visitable), 2)
    assert all(inst.distance[i, j] > 0 for i, j in pairs)
