"""The billing block of a trial summary (DOMAIN.md §5): per dose given, its J0476 lines
(trials/billing.py) and the lumbar injection, CPT 62323 with imaging guidance, 62322 without.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trials.billing import Line, billing_lines
from trials.services.amendments import Current, amendment_note, current_values

# The fields of the record that billing reads: amended values are billed.
BILLED_FIELDS = ("discarded_mcg", "image_guidance")

CPT_WITH_IMAGING = "62323"
CPT_WITHOUT_IMAGING = "62322"
CPT_TEXT = {
    CPT_WITH_IMAGING: "Injection, interlaminar lumbar or sacral, with imaging guidance",
    CPT_WITHOUT_IMAGING: "Injection, interlaminar lumbar or sacral, without imaging guidance",
}


def cpt_for(image_guidance) -> str:
    return CPT_WITH_IMAGING if image_guidance else CPT_WITHOUT_IMAGING


@dataclass(frozen=True)
class AttemptBilling:
    attempt_number: int
    given_at: datetime
    dose_mcg: int
    discarded_mcg: Decimal | None
    lines: list[Line]
    cpt: str
    amended: tuple[str, ...] = ()  # notes of the amendments billed from

    @property
    def cpt_text(self) -> str:
        return CPT_TEXT[self.cpt]

    @property
    def units(self) -> int:
        """Units of the dose given (the first line)."""
        return self.lines[0].units if self.lines else 0

    @property
    def modifier(self) -> str:
        """The first line's modifier: JZ, or "" beside a JW line or when the discard is unknown."""
        return self.lines[0].modifier if self.lines else ""

    @property
    def jw_units(self) -> int | None:
        """Units billed as discarded; None when the discarded amount was not recorded."""
        if self.discarded_mcg is None:
            return None
        return sum(line.units for line in self.lines if line.modifier == "JW")


def attempt_billing(attempt, current: dict[str, Current] | None = None) -> AttemptBilling | None:
    """The billing of one attempt from its current (amended) record; None for a planned dose not
    given. `current`: the record's current values when the caller has them already (the CSV)."""
    if attempt.given_at is None:
        return None
    if current is None:
        signed = {name: getattr(attempt, name) for name in BILLED_FIELDS}
        current = current_values(signed, attempt.amendments.all())
    discarded, imaging = current["discarded_mcg"], current["image_guidance"]
    return AttemptBilling(
        attempt_number=attempt.number,
        given_at=attempt.given_at,
        dose_mcg=attempt.dose_mcg,
        discarded_mcg=discarded.value,
        lines=billing_lines(attempt.dose_mcg, discarded.value),
        cpt=cpt_for(imaging.value),
        amended=tuple(amendment_note(c.amendment) for c in (discarded, imaging) if c.amendment),
    )


def trial_billing(attempts) -> list[AttemptBilling]:
    """One block per dose given (a planned dose not given is not billed)."""
    return [b for b in map(attempt_billing, attempts) if b is not None]
