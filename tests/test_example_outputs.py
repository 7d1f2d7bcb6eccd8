"""Every example config writes the plans recorded in ``tests/reference`` (every GeoPackage
layer and CSV, timings left out): a change that moves code must not change a plan. After a
deliberate change of the outputs, write the references again (see ``example_outputs``)."""

from __future__ import annotations

import pytest
from example_outputs import EXAMPLES, ROOT, differences, references, snapshot
from typer.testing import CliRunner

from optimizer.cli import app


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_writes_the_recorded_plan(name, tmp_path):
    out = tmp_path / name
    config = str(ROOT / "examples" / f"{name}.toml")
    extra = ["--workers", "0"] if name == "sweep" else []
    result = CliRunner().invoke(app, ["solve", config, "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    got, want = snapshot(out), references(name)
    assert want, f"no reference for {name}"
    assert sorted(got) == sorted(want)
    problems = {key: differences(got[key], want[key]) for key in want}
    assert {key: found for key, found in problems.items() if found} == {}
