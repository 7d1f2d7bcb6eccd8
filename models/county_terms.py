"""The county model's vocabulary that configs and specs name without building a model:
the stages of the lexicographic solve and the staff rules. Loads no solver library, so a
config can be read without Pyomo."""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("coverage", "new_sites", "cost", "travel", "shortfall")

# The stage of a phased plan (``[phases]``): most person-years within each level's radius.
PHASE_STAGE = "person_years"

# Stages that settle who is hired (least hiring cost) and then who is placed (fewest persons
# moved or hired), solved after a plan's stages with its sites and assignments fixed.
STAFF_STAGES = ("hiring", "moves")


@dataclass
class StaffRule:
    """One staff type's facility norm and hiring terms.

    ``per_person``: posts per person served; ``min_hub`` / ``min_clinic``: posts at every
    hub / other open clinic; ``pool``: most staff of the type in the county, on post and
    hired (persons; inf: no limit); ``max_transfer``: share of a site's staff on post that may
    move to another site; ``hire_cost``: yuan per hire; ``whole``: posts are whole persons
    (False: full-time equivalents).
    """

    name: str
    per_person: float
    min_hub: float = 0.0
    min_clinic: float = 0.0
    pool: float = float("inf")
    max_transfer: float = 0.0
    hire_cost: float = 0.0
    whole: bool = True
