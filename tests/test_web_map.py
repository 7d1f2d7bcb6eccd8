"""The interactive HTML map opens in headless Chromium, draws its layers and logs no errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from optimizer.config.county import load_county_config
from optimizer.outputs.county_export import write_county_outputs
from optimizer.outputs.web_map import write_web_map
from optimizer.run import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kangbashi.toml"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    """The Kangbashi example solved and written (map.html beside map.png)."""
    out = tmp_path_factory.mktemp("kangbashi") / "out"
    config = load_county_config(EXAMPLE)
    write_county_outputs(run(config, source=EXAMPLE).county, out, title=config.name)
    return out


def test_html_map_is_self_contained(outputs: Path) -> None:
    text = (outputs / "map.html").read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text
    assert "康巴什区" in text


def _render(html: Path, profile: Path, shot: Path) -> tuple[list[str], list[str], set, int]:
    """Open ``html`` in headless Chromium: console errors, requests, overlay layer names and
    the number of drawn shapes."""
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1200, "height": 900},
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html.as_uri())
        page.wait_for_selector(".leaflet-control-layers-overlays label")
        layers = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        shapes = page.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas").count()
        page.screenshot(path=str(shot))
        page.locator(".leaflet-control-layers-overlays label").first.click()
        browser.close()
    return errors, requests, {name.strip() for name in layers}, shapes


@pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium is not installed")
def test_html_map_renders_in_chromium(outputs: Path, tmp_path: Path) -> None:
    shot = outputs / "map_screenshot.png"
    errors, requests, names, shapes = _render(outputs / "map.html", tmp_path / "profile", shot)
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert {"boundary", "districts", "clinic reach (10 min)", "clinics, new"} <= names
    assert shapes > 0
    assert shot.stat().st_size > 10_000
    shutil.copy(shot, tmp_path / "map_screenshot.png")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium is not installed")
def test_html_map_draws_the_roaming_routes(tmp_path: Path) -> None:
    """Qingyuan has roaming routes: a layer per vehicle that drives and a stops layer, with
    the timetable (stops and arrival minutes) in the route popups."""
    example = EXAMPLE.with_name("qingyuan.toml")
    config = load_county_config(example)
    plan = run(config, source=example).plan
    html = write_web_map(plan, tmp_path / "map.html", title=config.name)
    errors, requests, names, _ = _render(html, tmp_path / "profile", tmp_path / "shot.png")
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    vehicles = sorted(set(plan.routes["vehicle"]))
    assert vehicles and {f"roaming vehicle {v}" for v in vehicles} | {"roaming stops"} <= names
    text = html.read_text(encoding="utf-8")
    first = plan.stops.sort_values(["vehicle", "route_id", "stop_order"]).iloc[0]
    entry = f"1. {first['name']} {first['arrival_minute']:.0f} min"
    assert entry in text or json.dumps(entry)[1:-1] in text  # GeoJSON may escape non-ASCII
