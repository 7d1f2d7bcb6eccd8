"""Print the HTML report to ``report.pdf`` (A4) with headless Chromium.

The browser is the program named by the environment variable ``HEALTHPLAN_CHROMIUM`` (a path
or a name on PATH), else the first of ``chromium``, ``chromium-browser``, ``google-chrome``
found on PATH. It runs with a temporary profile, no network (every request goes to a proxy
that does not exist) and a time limit. Without a browser, or when it fails, no PDF is written
and a :class:`~geodata.errors.HealthplanWarning` says why and how to get one; the other
outputs are written as usual.

Chinese text: Chromium draws fonts with PostScript (CFF) outlines, such as Noto Sans CJK, as
Type 3 glyph pictures rather than as fonts. The page therefore gets the CJK font (regular and
bold) as a subset of the characters it shows, with TrueType outlines, inlined as ``@font-face``
data; the PDF then embeds it as a real (searchable, copyable) font.

The page is printed from a copy in a temporary folder whose ``<base>`` is the report's folder,
so that ``map.png`` resolves and nothing is added to the folder; the links to the files beside
the report stay as text in the PDF (a PDF link would hold the folder's absolute path).
The creation and modification dates in the PDF are set to a fixed date and its structure ids
are numbered in order, so reprinting a report changes no date or id.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import warnings
from functools import cache
from pathlib import Path

from geodata.errors import HealthplanWarning
from geodata.i18n import gettext as _

BROWSER_VARIABLE = "HEALTHPLAN_CHROMIUM"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT = 120.0  # seconds Chromium may take to print the report

# Fonts with Chinese glyphs, most preferred first (fontconfig family names).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)
PRINT_FAMILY = "Healthplan CJK"  # the family name the inlined font gets in the print copy

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-pdf-header-footer",
    "--print-to-pdf-no-header",  # the same, for Chromium before version 110
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--mute-audio",
    "--proxy-server=127.0.0.1:9",  # no network: the report needs only its own folder
    # print once the page and its image are loaded and laid out, the same way every time
    "--run-all-compositor-stages-before-draw",
    "--virtual-time-budget=10000",
    "--font-render-hinting=none",
)

# A link to a file beside the report (no scheme, not an anchor on the page).
RELATIVE_LINK = re.compile(r'<a href="(?![a-zA-Z][a-zA-Z0-9+.-]*:|#)[^"]*">')

# Chromium writes dates like (D:20260101120000+00'00'); they are replaced by this one.
FIXED_PDF_DATE = b"20000101000000"
PDF_DATES = re.compile(rb"(/(?:CreationDate|ModDate)\s*\(D:)(\d{14})")
# Structure elements carry the page's element numbers (node00000029), which count every
# element the browser made before; they are renumbered from 1, keeping their order.
PDF_NODES = re.compile(rb"\(node(\d{8})\)")

DETAIL_LINES = 3  # lines of Chromium's error output quoted in a warning


def write_pdf(folder: Path, source: str = "report.html", name: str = "report.pdf") -> Path | None:
    """Print ``folder/source`` to ``folder/name`` on A4; the PDF's path, or None (with a
    warning) when no browser is installed or printing failed."""
    browser = find_browser()
    if browser is None:
        return None
    page = (folder / source).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="healthplan-pdf-") as tmp:
        work = Path(tmp)
        copy = work / "print.html"
        copy.write_text(print_page(page, folder), encoding="utf-8")
        printed = work / "report.pdf"
        if not _print(browser, copy, printed, work):
            return None
        target = folder / name
        target.write_bytes(fixed_dates(printed.read_bytes()))
    return target


def find_browser() -> str | None:
    """The browser program to print with, or None (with a warning saying how to get one)."""
    chosen = os.environ.get(BROWSER_VARIABLE, "").strip()
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            warnings.warn(
                _(
                    "report.pdf not written: {variable}={program} is not a program that can "
                    "be run; set it to a Chromium or Chrome program, or unset it to use "
                    "chromium from PATH"
                ).format(variable=BROWSER_VARIABLE, program=chosen),
                HealthplanWarning,
                stacklevel=3,
            )
        return found
    for program in BROWSERS:
        found = shutil.which(program)
        if found is not None:
            return found
    warnings.warn(
        _(
            "report.pdf not written: no Chromium found; install it (Debian/Ubuntu: apt install "
            "chromium) or set {variable} to a Chromium or Chrome program, then run again"
        ).format(variable=BROWSER_VARIABLE),
        HealthplanWarning,
        stacklevel=3,
    )
    return None


def print_page(page: str, folder: Path) -> str:
    """The report page for printing: its image resolved against ``folder``, its links to the
    files beside it left as text (the PDF would point them at ``folder``, which is the staging
    folder while outputs are written), and the CJK font inlined when one is installed and the
    page has Chinese text."""
    base = f'<base href="{html.escape(folder.resolve().as_uri(), quote=True)}/">'
    page = page.replace("<head>", f"<head>\n{base}", 1)
    page = RELATIVE_LINK.sub("<a>", page)
    if not re.search(r"[\u3000-\u9fff\uff00-\uffef]", page):
        return page
    faces = cjk_faces()
    if not faces:
        warnings.warn(
            _(
                "no CJK font found for report.pdf (install fonts-noto-cjk); Chinese text may "
                "not show in the PDF"
            ),
            HealthplanWarning,
            stacklevel=3,
        )
        return page
    text = html.unescape(page)
    rules = []
    for weight, (path, index) in sorted(faces.items()):
        data = base64.b64encode(font_subset(path, index, text)).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{PRINT_FAMILY}"; font-weight: {weight}; '
            f'src: url(data:font/ttf;base64,{data}) format("truetype"); }}'
        )
    rules.append(f'body {{ font-family: "{PRINT_FAMILY}", sans-serif; }}')
    return page.replace("</style>", "\n".join(rules) + "\n</style>", 1)


@cache
def cjk_faces() -> dict[int, tuple[str, int]]:
    """Installed CJK font faces by weight (400, 700): (file, index in the file). Found with
    fontconfig (``fc-list``); empty when it or every font of ``CJK_FAMILIES`` is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return {}
    try:
        listing = subprocess.run(
            [fc_list, "-f", r"%{family}\t%{style}\t%{file}\t%{index}\n", ":lang=zh"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    faces: dict[str, dict[int, tuple[str, int]]] = {}
    for line in sorted(listing.splitlines()):
        parts = line.split("\t")
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        families, styles, path, index = parts
        weight = {"Regular": 400, "Bold": 700}.get(styles.split(",")[0])
        if weight is None:
            continue
        for family in families.split(","):
            if family in CJK_FAMILIES:
                faces.setdefault(family, {})[weight] = (path, int(index))
    for family in CJK_FAMILIES:
        if 400 in faces.get(family, {}):
            return faces[family]
    return {}


def font_subset(path: str, index: int, text: str) -> bytes:
    """The font's glyphs for ``text`` (and ASCII) as a TrueType font (CFF outlines converted
    to quadratic ones)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=False, recalcTimestamp=False)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + "".join(map(chr, range(32, 127))))
    subsetter.subset(font)
    if "CFF " in font:
        _to_truetype(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _to_truetype(font: object) -> None:
    """Replace a font's CFF table by a glyf table with the same glyphs."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for key in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, key, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def _print(browser: str, page: Path, target: Path, work: Path) -> bool:
    """Run the browser to print ``page`` into ``target``; False (with a warning) on failure."""
    profile = work / "profile"
    profile.mkdir()
    command = [
        browser,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--print-to-pdf={target}",
        page.as_uri(),
    ]
    environment = {
        **os.environ,
        "HOME": str(profile),
        "XDG_CONFIG_HOME": str(profile),
        "XDG_CACHE_HOME": str(profile),
    }
    program = Path(browser).name
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env=environment,
            start_new_session=True,
        )
    except OSError as error:
        _warn(
            _("report.pdf not written: {program} could not be started: {detail}").format(
                program=browser, detail=error.strerror or error
            )
        )
        return False
    try:
        _out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _stop(process)
        _warn(
            _(
                "report.pdf not written: {program} did not finish printing within {seconds} seconds"
            ).format(program=program, seconds=f"{TIMEOUT:g}")
        )
        return False
    finally:
        _stop(process)
    if process.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        _warn(
            _("report.pdf not written: {program} failed (exit code {code}): {detail}").format(
                program=program, code=process.returncode, detail=_detail(err)
            )
        )
        return False
    return True


def _stop(process: subprocess.Popen) -> None:
    """Kill the browser's whole process group (its helper processes too) if still running."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _detail(err: str) -> str:
    """The last lines of the browser's error output, without its routine D-Bus complaints."""
    lines = [
        line.strip()
        for line in err.splitlines()
        if line.strip() and "dbus" not in line.lower() and "bytes written to file" not in line
    ]
    return " / ".join(lines[-DETAIL_LINES:])[-500:] or "-"


def _warn(message: str) -> None:
    warnings.warn(message, HealthplanWarning, stacklevel=4)


def fixed_dates(pdf: bytes) -> bytes:
    """The PDF with its creation and modification dates set to ``FIXED_PDF_DATE`` and its
    structure element ids numbered from 1 in their order (same lengths, so the
    cross-reference offsets stay right; same order, so the name tree stays sorted)."""
    ranks = {
        number: b"%08d" % rank
        for rank, number in enumerate(sorted(set(PDF_NODES.findall(pdf))), start=1)
    }
    pdf = PDF_NODES.sub(lambda m: b"(node" + ranks[m.group(1)] + b")", pdf)
    return PDF_DATES.sub(lambda m: m.group(1) + FIXED_PDF_DATE, pdf)
