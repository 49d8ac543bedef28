"""The billing block of a trial summary (DOMAIN.md §5), one line per dose given.

- HCPCS J0476 "Injection, baclofen, 50 mcg for intrathecal trial": units = dose / 50, rounded up.
- JW modifier when drug was discarded, with the amount (and its units, also rounded up); JZ when
  nothing was discarded. An amount never recorded gets neither: the line says so.
- The lumbar injection: CPT 62323 with imaging guidance, 62322 without.
"""

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trials import procedure

HCPCS = "J0476"
CPT_WITH_IMAGING = "62323"
CPT_WITHOUT_IMAGING = "62322"
CPT_TEXT = {
    CPT_WITH_IMAGING: "Injection, interlaminar lumbar or sacral, with imaging guidance",
    CPT_WITHOUT_IMAGING: "Injection, interlaminar lumbar or sacral, without imaging guidance",
}


def units_for(mcg) -> int:
    """J0476 units for an amount in mcg: one unit per 50 mcg or part of it."""
    # math.ceil, not -(-x // 50): Decimal's // truncates toward zero.
    return math.ceil(Decimal(mcg) / procedure.J0476_UNIT_MCG)


@dataclass(frozen=True)
class BillingLine:
    attempt_number: int
    given_at: datetime
    dose_mcg: int
    units: int
    modifier: str  # "JW", "JZ" or "" when the discarded amount was not recorded
    discarded_mcg: Decimal | None
    discarded_units: int
    cpt: str

    @property
    def hcpcs(self) -> str:
        return HCPCS

    @property
    def cpt_text(self) -> str:
        return CPT_TEXT[self.cpt]

    @property
    def modifier_detail(self) -> str:
        if self.modifier == "JW":
            units = self.discarded_units
            return (
                f"{self.discarded_mcg.normalize():f} mcg discarded "
                f"({units} unit{'s' if units != 1 else ''})"
            )
        if self.modifier == "JZ":
            return "no drug discarded"
        return "discarded amount not recorded: neither JW nor JZ can be chosen"

    @property
    def modifier_text(self) -> str:
        return (
            f"{self.modifier} – {self.modifier_detail}" if self.modifier else self.modifier_detail
        )


def billing_line(attempt) -> BillingLine:
    discarded = attempt.discarded_mcg
    modifier = "" if discarded is None else ("JW" if discarded > 0 else "JZ")
    return BillingLine(
        attempt_number=attempt.number,
        given_at=attempt.given_at,
        dose_mcg=attempt.dose_mcg,
        units=units_for(attempt.dose_mcg),
        modifier=modifier,
        discarded_mcg=discarded,
        discarded_units=units_for(discarded) if modifier == "JW" else 0,
        cpt=CPT_WITH_IMAGING if attempt.image_guidance else CPT_WITHOUT_IMAGING,
    )


def billing_lines(attempts) -> list[BillingLine]:
    """Lines for the attempts given (a planned dose not given is not billed)."""
    return [billing_line(a) for a in attempts if a.given_at is not None]
