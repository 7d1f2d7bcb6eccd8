"""The error every verifier raises."""

from __future__ import annotations

from geodata.errors import HealthplanError


class VerificationError(HealthplanError):
    """A result does not hold up against its inputs; ``problems`` lists every finding."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the plan fails verification:\n- " + "\n- ".join(problems))
        self.problems = problems
