"""TOML configs to typed settings, every check run once and every message naming the file and
the key: ``site`` (a site-location plan, and what all configs share: reading the TOML,
sections, error messages), ``county`` (a county plan: hubs, clinics, districts, staffing,
roaming, comparison) and ``batch`` (scenario sweeps and many regions). Importing them loads
no solver or plotting library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optimizer.config.county import CountyConfig, is_county_config, load_county_config
from optimizer.config.site import Config, load_config, read_toml

__all__ = ["Config", "CountyConfig", "load"]


def load(path: str | Path, raw: dict[str, Any] | None = None) -> Config | CountyConfig:
    """A checked config of the kind the file describes: a county plan (it has ``[hub]``) or a
    site plan. ``raw`` is the file's parsed TOML when the caller has read it already.

    Raises:
        ConfigError: every problem found, one per line as ``file: section.key: message``.
    """
    path = Path(path)
    raw = read_toml(path) if raw is None else raw
    if is_county_config(raw):
        return load_county_config(path, raw)
    return load_config(path, raw)
