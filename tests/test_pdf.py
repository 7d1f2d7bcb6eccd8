"""report.pdf: the county report printed on A4 by headless Chromium, read back with poppler.

A small synthetic county (Chinese names) is solved through the CLI with format "pdf"; the PDF
holds the report's headings and figures, the map image and the embedded CJK font. Without a
browser the run still succeeds and says how to get the PDF; a failing or hanging browser is
a warning, never a traceback.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pandas as pd
import pytest
from plan_samples import sample_plan
from test_error_catalogue import Case

import geodata
from geodata.errors import HealthplanWarning
from optimizer.outputs import pdf
from optimizer.outputs.export import write_outputs

CHROMIUM = any(shutil.which(name) for name in pdf.BROWSERS)
POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdfinfo")
needs_chromium = pytest.mark.skipif(not CHROMIUM, reason="Debian package chromium is not installed")
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="Debian package poppler-utils (pdftotext) is not installed"
)
FORMATS = '["csv", "png", "pdf"]'
A4 = (595.0, 842.0)  # points


def solve(tmp_path: Path, out: Path, formats: str = FORMATS):
    case = Case(geodata.synthetic_county(40, 10, seed=3), tmp_path)
    case.write_county()
    case.config = case.config.replace('formats = ["csv"]', f"formats = {formats}")
    return case.run(out=out)


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> Path:
    """The synthetic county plan written with format "pdf"."""
    folder = tmp_path_factory.mktemp("pdf")
    out = folder / "out"
    result = solve(folder, out)
    assert result.exit_code == 0, result.output
    assert "report.pdf not written" not in result.output, result.output
    return out


def poppler(tool: str, path: Path, *args: str) -> str:
    command = [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@needs_chromium
@needs_poppler
def test_pdf_holds_the_report_headings_and_figures(printed: Path) -> None:
    text = squeezed(poppler("pdftotext", printed / "report.pdf"))
    report = (printed / "report.md").read_text(encoding="utf-8")
    headings = [line.lstrip("# ") for line in report.splitlines() if line.startswith("#")]
    assert len(headings) >= 5
    for heading in headings:
        assert squeezed(heading) in text, heading
    summary = pd.read_csv(printed / "summary.csv").set_index("item")["value"]
    population = f"{float(summary['population']):,.0f}"
    assert population in report
    assert population in text
    names = re.findall(r"\| (\S+(?:卫生院|医院)) \|", report)
    assert names
    for name in names[:5]:
        assert name in text, name


@needs_chromium
@needs_poppler
def test_pdf_is_a4_with_the_map_and_the_cjk_font_embedded(printed: Path) -> None:
    info = poppler("pdfinfo", printed / "report.pdf")
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(width), round(height)) == A4
    fonts = poppler("pdffonts", printed / "report.pdf").splitlines()[2:]
    cjk = [line for line in fonts if "NotoSansCJK" in line]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk)  # the emb column
    images = poppler("pdfimages", printed / "report.pdf", "-list").splitlines()[2:]
    assert images, "the map is missing from report.pdf"
    manifest = json.loads((printed / "manifest.json").read_text(encoding="utf-8"))
    assert "report.pdf" in manifest["files"] and "map.png" in manifest["files"]


def test_without_a_browser_the_run_succeeds_and_says_how_to_get_the_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(pdf.BROWSER_VARIABLE, raising=False)
    out = tmp_path / "out"
    result = solve(tmp_path, out)
    assert result.exit_code == 0, result.output
    message = " ".join(result.stderr.split())
    assert "report.pdf not written" in message and "apt install chromium" in message
    assert pdf.BROWSER_VARIABLE in message
    assert "Traceback" not in result.output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "report.pdf" not in files and {"report.html", "map.png", "summary.csv"} <= set(files)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"] == [f for f in files if f != "manifest.json"]


def page(folder: Path) -> Path:
    folder.mkdir()
    (folder / "report.html").write_text(
        "<!DOCTYPE html><html><head><style></style></head><body><h1>报告</h1></body></html>",
        encoding="utf-8",
    )
    return folder


def browser(tmp_path: Path, script: str) -> Path:
    path = tmp_path / "fake-chromium"
    path.write_text("#!/bin/sh\n" + script + "\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def printed_with(folder: Path) -> tuple[Path | None, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = pdf.write_pdf(folder)
    return result, [str(w.message) for w in caught if issubclass(w.category, HealthplanWarning)]


def test_a_failing_browser_is_a_warning_with_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = browser(tmp_path, 'echo "cannot open display" >&2; exit 3')
    monkeypatch.setenv(pdf.BROWSER_VARIABLE, str(fake))
    result, messages = printed_with(page(tmp_path / "out"))
    assert result is None and not (tmp_path / "out" / "report.pdf").exists()
    assert len(messages) == 1
    assert "exit code 3" in messages[0] and "cannot open display" in messages[0]


def test_a_hanging_browser_is_stopped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = browser(tmp_path, "sleep 60")
    monkeypatch.setenv(pdf.BROWSER_VARIABLE, str(fake))
    monkeypatch.setattr(pdf, "TIMEOUT", 1.0)
    result, messages = printed_with(page(tmp_path / "out"))
    assert result is None
    assert len(messages) == 1 and "within 1 seconds" in messages[0]


def test_a_variable_naming_no_program_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(pdf.BROWSER_VARIABLE, str(tmp_path / "no-such-browser"))
    result, messages = printed_with(page(tmp_path / "out"))
    assert result is None
    assert len(messages) == 1 and pdf.BROWSER_VARIABLE in messages[0]


def test_site_plans_have_no_report_and_skip_pdf_quietly(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", HealthplanWarning)
        written = write_outputs(sample_plan(), tmp_path / "out", formats=["csv", "pdf"])
    assert [p.name for p in written] == ["summary.csv", "manifest.json"]


def test_fixed_dates_keep_the_length() -> None:
    raw = (
        b"<</CreationDate (D:20260102030405+00'00')\n/ModDate (D:20260102030405+00'00')>>"
        b"/ID (node00000042) /ID (node00000040) /ID (node00000042)"
    )
    fixed = pdf.fixed_dates(raw)
    assert len(fixed) == len(raw)
    assert fixed.count(b"D:20000101000000+00'00'") == 2
    assert b"(node00000002) /ID (node00000001) /ID (node00000002)" in fixed


@needs_chromium
@needs_poppler
def test_reprinting_the_same_report_gives_the_same_text_dates_and_pages(
    printed: Path, tmp_path: Path
) -> None:
    copies = []
    for k in (1, 2):
        folder = tmp_path / f"copy{k}"
        folder.mkdir()
        for name in ("report.html", "map.png"):
            shutil.copy(printed / name, folder / name)
        copies.append(pdf.write_pdf(folder))
    first, second = (path.read_bytes() for path in copies)
    assert poppler("pdftotext", copies[0]) == poppler("pdftotext", copies[1])
    info = [
        [line for line in poppler("pdfinfo", copy).splitlines() if not line.startswith("File size")]
        for copy in copies
    ]
    assert info[0] == info[1]  # pages, page size, dates
    for copy in (first, second):
        assert b"/CreationDate (D:" + pdf.FIXED_PDF_DATE in copy
        assert b"file://" not in copy
