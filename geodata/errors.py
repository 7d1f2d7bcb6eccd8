"""The project's error types.

Every error the public API raises on purpose is one of these. Input errors subclass
``ValueError`` so a GIS script can catch them the usual way.
"""

from __future__ import annotations

from geodata.i18n import language


class HealthplanError(Exception):
    """Base class of every error this project raises on purpose.

    ``language`` is the language its message was written in (see ``geodata.i18n``), so that
    what is shown around it can match.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.language = language()


class InputError(HealthplanError, ValueError):
    """Bad input: a file, a column, a row or an argument that cannot be used as given.

    The message names where the problem is (file, row or id, field) and what to do.
    """


class ConfigError(InputError):
    """A configuration file that is malformed or holds a wrong key or value."""


class InfeasibleError(HealthplanError):
    """The targets cannot all be met; the message says which demand or setting blocks them.

    ``demand`` holds the indices of the demand units at fault, when there are such units.
    """

    def __init__(self, message: str, *, demand=None) -> None:
        super().__init__(message)
        self.demand = demand


class SolverError(HealthplanError):
    """The solver stopped without any usable solution (e.g. no incumbent within the time limit)."""


class Interrupted(SolverError):
    """The run was stopped by Ctrl-C (SIGINT) or SIGTERM before a plan was found."""


class HealthplanWarning(UserWarning):
    """Input the project repaired or left out, e.g. an invalid polygon fixed by make_valid."""
