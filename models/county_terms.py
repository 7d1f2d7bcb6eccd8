"""The county model's vocabulary that configs and specs name without building a model:
the stages of the lexicographic solve and the staff rules. Loads no solver library, so a
config can be read without Pyomo."""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("coverage", "new_sites", "cost", "travel", "shortfall")


@dataclass
class StaffRule:
    """One staff type: need per person served, site minimum per level, county pool (persons)."""

    name: str
    per_person: float
    min_hub: float = 0.0
    min_clinic: float = 0.0
    pool: float = float("inf")
