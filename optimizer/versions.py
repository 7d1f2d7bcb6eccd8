"""Installed package versions, for the screen and the output manifest."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def installed_version(package: str = "healthplan") -> str:
    """The installed version of ``package``, or "unknown" when it is not installed."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
