"""Messages in the planner's language: one gettext catalogue per language for everything a
planner reads (report, maps, CLI summary, warnings and errors).

The source strings are English; ``geodata/locale/zh/LC_MESSAGES/healthplan.po`` holds the
Chinese. A module marks a message with ``gettext`` (imported as ``_``) or ``ngettext``, with
named ``{fields}`` filled in by ``str.format`` after translation, so that a translation may
put them in another order. The catalogue is read with Babel when a language is first used.

The language in use is a context variable: ``use_language("zh")`` for a block,
``set_language`` for the rest of a process (the CLI), else the one the environment asks for
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``: Chinese when it starts with "zh").
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path

LANGUAGES = ("zh", "en")
DOMAIN = "healthplan"
LOCALE = Path(__file__).parent / "locale"

_chosen: ContextVar[str | None] = ContextVar("healthplan_language", default=None)


def environment_language() -> str:
    """ "zh" when the environment's first language setting is Chinese, else "en"."""
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(key, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def language() -> str:
    """The language messages are given in now ("zh" or "en")."""
    return _chosen.get() or environment_language()


def set_language(name: str | None) -> None:
    """Give messages in ``name`` from now on (in this context); None: as the environment says."""
    _chosen.set(check_language(name) if name is not None else None)


@contextmanager
def use_language(name: str | None) -> Iterator[None]:
    """Give messages in ``name`` inside the block (None: leave the language as it is)."""
    if name is None:
        yield
        return
    token = _chosen.set(check_language(name))
    try:
        yield
    finally:
        _chosen.reset(token)


@contextmanager
def language_scope() -> Iterator[None]:
    """Let ``set_language`` calls inside the block last only until it ends."""
    token = _chosen.set(_chosen.get())
    try:
        yield
    finally:
        _chosen.reset(token)


def check_language(name: str) -> str:
    """``name`` if it is a language with a catalogue, else a ValueError listing them."""
    if name not in LANGUAGES:
        raise ValueError(f"unknown language {name!r}; use one of {', '.join(LANGUAGES)}")
    return name


def catalogue_path(name: str) -> Path:
    """The ``.po`` file of a language."""
    return LOCALE / name / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(name: str) -> NullTranslations:
    """The compiled catalogue of a language; English is the source text itself."""
    path = catalogue_path(name)
    if name == "en" or not path.exists():
        return NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        catalog = read_po(po, locale=name, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return GNUTranslations(compiled)


def gettext(message: str) -> str:
    """``message`` in the language in use."""
    return translations(language()).gettext(message)


def N_(message: str) -> str:  # noqa: N802 (the name gettext tools look for)
    """Mark ``message`` for the catalogue where it is defined; translate it where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the language in use."""
    return translations(language()).ngettext(singular, plural, n)


def has_chinese(texts: object) -> bool:
    """Whether most of the non-empty texts hold Chinese characters (CJK unified ideographs)."""
    values = [str(t) for t in texts if str(t).strip()]  # type: ignore[attr-defined]
    chinese = sum(any("\u4e00" <= ch <= "\u9fff" for ch in value) for value in values)
    return bool(values) and chinese * 2 > len(values)
