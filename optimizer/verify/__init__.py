"""Independent checks of every plan: each recomputes a plan's claims from its inputs (the
cost matrix or travel times, the layers and the spec), never from the model, and raises
:class:`VerificationError` listing every problem it found.

- ``locate``: :func:`verify_locate` for a matrix-level ``LocateResult``;
- ``county``: :func:`verify_county` for a ``CountyPlan``;
- ``roaming``: :func:`check_roaming`, the roaming part of a county plan.
"""

from optimizer.errors import VerificationError
from optimizer.verify.county import verify_county
from optimizer.verify.locate import verify_locate
from optimizer.verify.roaming import check_roaming

__all__ = ["VerificationError", "check_roaming", "verify_county", "verify_locate"]
