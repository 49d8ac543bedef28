"""How one dose of the trial is billed (DOMAIN.md §5): HCPCS J0476, 1 unit = 50 mcg.

- The dose given: J0476 × ceil(dose / 50), on one line.
- The drug discarded: a second line, J0476-JW × (ceil((dose + discarded) / 50) − ceil(dose / 50)),
  only when that is at least 1.
- Otherwise JZ on the first line. Rounding the dose up already pays for the rest of the ampule,
  so JW on top of it would be an overpayment (Noridian, "Modifier JZ": 70 mg of a 100 mg vial is
  1 unit with JZ, never 1 + 1 JW).
- Discarded amount not recorded: one line with neither modifier. JZ would attest that nothing
  was discarded and JW needs the amount, so the line says the amount is missing instead of
  guessing.

Every place that shows or exports billing (summary, PDF, CSV) takes its lines from here.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from trials import procedure

HCPCS = "J0476"
JW = "JW"
JZ = "JZ"
NOT_RECORDED = "discarded amount not recorded: record it to choose JZ or JW"


def units_for(mcg) -> int:
    """J0476 units for an amount in mcg: one unit per 50 mcg or part of it."""
    # math.ceil, not -(-x // 50): Decimal's // truncates toward zero.
    return math.ceil(Decimal(mcg) / procedure.J0476_UNIT_MCG)


@dataclass(frozen=True)
class Line:
    code: str
    modifier: str  # "JW", "JZ", or "" (the given dose beside a JW line, or discard unknown)
    units: int
    note: str = ""

    @property
    def billed_code(self) -> str:
        """As on the claim: "J0476" or "J0476-JW"."""
        return f"{self.code}-{self.modifier}" if self.modifier else self.code

    @property
    def text(self) -> str:
        """E.g. "J0476-JW × 1 (50 mcg discarded)"."""
        return f"{self.billed_code} × {self.units}" + (f" ({self.note})" if self.note else "")


def _mcg(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f} mcg"


def billing_lines(dose_mcg, discarded_mcg) -> list[Line]:
    """The J0476 lines of one dose given; none when no drug was given."""
    dose = Decimal(dose_mcg)
    if dose < 0 or (discarded_mcg is not None and Decimal(discarded_mcg) < 0):
        raise ValueError("A dose or a discarded amount cannot be negative.")
    if dose == 0:
        return []
    given = units_for(dose)
    if discarded_mcg is None:
        return [Line(HCPCS, "", given, NOT_RECORDED)]
    discarded = Decimal(discarded_mcg)
    wasted = units_for(dose + discarded) - given
    if wasted >= 1:
        return [
            Line(HCPCS, "", given, f"{_mcg(dose)} given"),
            Line(HCPCS, JW, wasted, f"{_mcg(discarded)} discarded"),
        ]
    note = f"{_mcg(dose)} given, nothing discarded"
    if discarded > 0:
        note = f"{_mcg(dose)} given; {_mcg(discarded)} discarded is within the units billed"
    return [Line(HCPCS, JZ, given, note)]
