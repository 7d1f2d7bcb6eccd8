"""Origin-destination tables: pairs as given, unlisted pairs unreachable, one error per problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata import InputError, table_minutes

DEMAND = ["V1", "V2", "V3"]
SITES = ["S1", "S2"]
TABLE = "origin,destination,minutes\nV1,S1,0\nV1,S2,12.5\nV3,S2,40\n"


def write(tmp_path: Path, text: str, name: str = "od.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_pairs_as_given(tmp_path):
    times = table_minutes(write(tmp_path, TABLE), DEMAND, SITES)
    assert times.minutes.shape == (3, 2)
    assert times.minutes.nnz == 3  # the 0.0 for V1-S1 is stored
    dense = np.full((3, 2), np.nan)
    coo = times.minutes.tocoo()
    dense[coo.row, coo.col] = coo.data
    np.testing.assert_array_equal(dense, [[0.0, 12.5], [np.nan, np.nan], [np.nan, 40.0]])
    assert list(times.demand_ids) == DEMAND and list(times.site_ids) == SITES
    assert times.source == "table od.csv"


def test_max_minutes_drops_longer_pairs(tmp_path):
    times = table_minutes(write(tmp_path, TABLE), DEMAND, SITES, max_minutes=30)
    assert times.to_frame()["minutes"].tolist() == [0.0, 12.5]


def test_named_columns(tmp_path):
    text = "from,to,t\nV2,S1,7\n"
    times = table_minutes(
        write(tmp_path, text), DEMAND, SITES, origin="from", destination="to", minutes="t"
    )
    assert times.to_frame().values.tolist() == [["V2", "S1", 7.0]]


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "od.parquet"
    pd.DataFrame({"origin": ["V1"], "destination": ["S2"], "minutes": [3.0]}).to_parquet(path)
    assert table_minutes(path, DEMAND, SITES).minutes[0, 1] == 3.0


def error_of(tmp_path: Path, text: str, **options) -> str:
    with pytest.raises(InputError) as caught:
        table_minutes(write(tmp_path, text), DEMAND, SITES, **options)
    return str(caught.value)


def test_unknown_ids_name_the_rows(tmp_path):
    message = error_of(tmp_path, TABLE + "V9,S1,3\n")
    assert "od.csv" in message and "'origin'" in message and "'V9' on line 5" in message
    message = error_of(tmp_path, TABLE + "V2,S7,3\n")
    assert "'destination'" in message and "'S7' on line 5" in message


@pytest.mark.parametrize("cell", ["", "soon", "-1", "nan"])
def test_bad_minutes(tmp_path, cell):
    message = error_of(tmp_path, TABLE + f"V2,S1,{cell}\n")
    assert "'minutes'" in message and "line 5" in message


def test_repeated_pairs(tmp_path):
    message = error_of(tmp_path, TABLE + "V1,S2,13\n")
    assert "repeated" in message and "line 3" in message and "line 5" in message


def test_unknown_column_and_format(tmp_path):
    assert "'minutes'" in error_of(tmp_path, "origin,destination,time\nV1,S1,3\n")
    path = write(tmp_path, TABLE, "od.txt")
    with pytest.raises(InputError, match="neither CSV"):
        table_minutes(path, DEMAND, SITES)
    path = write(tmp_path, TABLE, "od.xlsx")
    with pytest.raises(InputError, match="cannot be read as a workbook"):
        table_minutes(path, DEMAND, SITES)
    with pytest.raises(InputError, match="not found"):
        table_minutes(tmp_path / "missing.csv", DEMAND, SITES)


def test_repeated_ids_given(tmp_path):
    with pytest.raises(InputError, match="'V1'"):
        table_minutes(write(tmp_path, TABLE), ["V1", "V1"], SITES)


def test_unreadable_parquet_says_what_to_do(tmp_path):
    path = tmp_path / "od.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="od.parquet.*(pyarrow|cannot be read as Parquet)"):
        table_minutes(path, DEMAND, SITES)
