"""The interactive HTML map opens in headless Chromium, draws its layers and logs no errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from geodata.i18n import use_language
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


def _popup(html: Path, profile: Path, layer_name: str) -> tuple[list[str], str]:
    """Open ``html`` and click the first feature of the overlay named ``layer_name``: the
    overlay names and the text of the popup that opens."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        page = browser.new_page()
        page.goto(html.as_uri())
        page.wait_for_selector(".leaflet-control-layers-overlays label")
        names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        page.evaluate(
            """(name) => {
                const map = Object.values(window).find((v) => v instanceof L.Map);
                const layers = Object.entries(window).find(
                    ([key]) => key.startsWith("layer_control_") && key.endsWith("_layers")
                )[1];
                let leaf = null;  // the first marker or shape; a click opens its group's popup
                layers.overlays[name].eachLayer(function visit(layer) {
                    if (leaf) return;
                    if (layer.eachLayer) { layer.eachLayer(visit); return; }
                    leaf = layer;
                });
                const at = leaf.getLatLng ? leaf.getLatLng() : leaf.getBounds().getCenter();
                leaf.fire("click", { latlng: at }, true);
                map.invalidateSize();
            }""",
            layer_name,
        )
        page.wait_for_selector(".leaflet-popup-content")
        text = page.locator(".leaflet-popup-content").inner_text()
        browser.close()
    return [name.strip() for name in names], text


@pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium is not installed")
def test_html_map_in_chinese_names_its_layers_and_popups_in_chinese(tmp_path: Path) -> None:
    config = load_county_config(EXAMPLE)
    done = run(config, source=EXAMPLE)
    assert done.language == "zh"  # the Kangbashi names are Chinese
    with use_language(done.language):
        html = write_web_map(done.plan, tmp_path / "map.html", title=config.name)
    hubs = "次中心（现有）"
    names, text = _popup(html, tmp_path / "profile", hubs)
    assert {"片区", hubs, "村和社区", "基层医疗卫生机构（新建）"} <= set(names)
    for label in ("机构", "编号", "层级", "状态", "服务人口"):
        assert label in text, text
    assert "县域医疗卫生次中心" in text and "现有" in text
    hub_names = done.plan.sites.loc[done.plan.sites["level"] == "hub", "name"]
    assert any(name in text for name in hub_names), text
