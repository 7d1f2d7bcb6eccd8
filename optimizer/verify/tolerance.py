"""How close a county plan's figures must be to the verifier's recomputed ones."""

from __future__ import annotations

ABS_TOL = 1e-5  # persons, minutes, staff, yuan
REL_TOL = 1e-6


def close(a: float, b: float, scale: float = 1.0) -> bool:
    """True when ``a`` and ``b`` agree within ``ABS_TOL`` plus ``REL_TOL`` of the largest of
    ``scale``, ``|a|`` and ``|b|``."""
    return abs(a - b) <= ABS_TOL + REL_TOL * max(scale, abs(a), abs(b))
