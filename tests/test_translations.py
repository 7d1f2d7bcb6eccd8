"""Every message marked for translation has its Chinese text in the catalogue, with the same
``{fields}``; the catalogue holds nothing the code no longer says; and the language switches
as asked."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from geodata import i18n

ROOT = Path(__file__).resolve().parent.parent
CHINESE_COMMA = r"[\u4e00-\u9fff][,;][\u4e00-\u9fff]"  # ASCII , or ; between Chinese words


def marked() -> dict[str | tuple[str, str], list[str]]:
    """Each message marked in the code (a plural as its two forms) -> where it is."""
    found: dict[str | tuple[str, str], list[str]] = {}
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    for filename, line, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        found.setdefault(message, []).append(f"{filename}:{line}")
    return found


def catalogue():
    with i18n.catalogue_path("zh").open("rb") as po:
        return read_po(po, locale="zh")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_marked_message_has_a_chinese_translation_with_the_same_fields():
    zh = catalogue()
    missing, wrong = [], []
    for message, where in marked().items():
        entry = zh.get(message)
        if (
            entry is None
            or entry.fuzzy
            or not all(entry.string if isinstance(entry.string, tuple) else (entry.string,))
        ):
            missing.append(f"{where[0]}: {message!r}")
            continue
        source = message if isinstance(message, str) else message[1]
        for text in entry.string if isinstance(entry.string, tuple) else (entry.string,):
            if fields(text) != fields(source):
                wrong.append(f"{where[0]}: {message!r} -> {text!r}")
    assert not missing, "no Chinese text for:\n" + "\n".join(missing)
    assert not wrong, "fields differ:\n" + "\n".join(wrong)


def test_the_catalogue_holds_only_messages_the_code_marks():
    code = set(marked())
    stale = [entry.id for entry in catalogue() if entry.id and entry.id not in code]
    assert not stale, f"in the catalogue but not in the code: {stale}"


def test_chinese_text_uses_chinese_punctuation_between_chinese_words():
    odd = [
        entry.string
        for entry in catalogue()
        if isinstance(entry.string, str) and re.search(CHINESE_COMMA, entry.string)
    ]
    assert not odd, odd


def test_language_switches_in_a_block_and_follows_the_environment(monkeypatch):
    message = "solving"
    monkeypatch.setenv("LANGUAGE", "zh_CN:en")
    assert i18n.environment_language() == "zh"
    with i18n.use_language("en"):
        assert i18n.gettext(message) == message
        with i18n.use_language("zh"):
            assert i18n.gettext(message) == "求解"
        assert i18n.language() == "en"
    monkeypatch.setenv("LANGUAGE", "en_US")
    assert i18n.language() == "en"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.check_language("fr")


def test_chinese_names_are_detected_by_majority():
    assert i18n.has_chinese(["庆元县", "竹口村", "V3"])
    assert not i18n.has_chinese(["Suhum", "Asuom", "竹口村"])
    assert not i18n.has_chinese([])
