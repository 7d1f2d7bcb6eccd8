"""Every error and warning healthplan raises, in one public place.

The classes that ``geodata`` and ``models`` raise are defined in ``geodata.errors`` (and stay
importable there); :class:`VerificationError`, raised when a plan fails its independent check,
is defined here.
"""

from __future__ import annotations

from geodata.errors import (
    ConfigError,
    HealthplanError,
    HealthplanWarning,
    InfeasibleError,
    InputError,
    Interrupted,
    SolverError,
)
from geodata.i18n import gettext as _

__all__ = [
    "ConfigError",
    "HealthplanError",
    "HealthplanWarning",
    "InfeasibleError",
    "InputError",
    "Interrupted",
    "SolverError",
    "VerificationError",
]


class VerificationError(HealthplanError):
    """A result does not hold up against its inputs; ``problems`` lists every finding."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(_("the plan fails verification:") + "\n- " + "\n- ".join(problems))
        self.problems = problems
