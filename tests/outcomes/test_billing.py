"""Billing per DOMAIN.md §5: J0476 units, JW only for whole units discarded beyond the dose, else
JZ; CPT 62323 / 62322 for the lumbar injection."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from trials.billing import NOT_RECORDED, billing_lines, units_for
from trials.outcomes.billing import attempt_billing, trial_billing

GIVEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def lines(dose, discarded) -> list[tuple[str, int]]:
    return [(line.billed_code, line.units) for line in billing_lines(dose, discarded)]


@pytest.mark.parametrize(
    ("dose", "discarded", "expected"),
    [
        # The worked cases of DOMAIN.md §5 and the issue.
        (75, 25, [("J0476-JZ", 2)]),
        (25, 75, [("J0476", 1), ("J0476-JW", 1)]),
        (25, 25, [("J0476-JZ", 1)]),
        (50, 0, [("J0476-JZ", 1)]),
        (100, 0, [("J0476-JZ", 2)]),
        (50, 50, [("J0476", 1), ("J0476-JW", 1)]),
    ],
)
def test_the_worked_cases_are_billed_as_the_rule_says(dose, discarded, expected):
    assert lines(dose, Decimal(discarded)) == expected


def test_75_given_25_discarded_is_two_units_not_three():
    billed = billing_lines(75, Decimal(25))

    assert sum(line.units for line in billed) == 2  # one 100 mcg of drug, two ampules' worth
    assert [line.modifier for line in billed] == ["JZ"]


def test_the_rest_of_a_rounded_up_ampule_is_said_to_be_paid_already():
    (line,) = billing_lines(75, Decimal(25))

    assert line.note == "75 mcg given; 25 mcg discarded is within the units billed"


def test_nothing_discarded_is_jz_and_says_so():
    (line,) = billing_lines(50, Decimal(0))

    assert line.text == "J0476-JZ × 1 (50 mcg given, nothing discarded)"


def test_the_jw_line_names_the_amount_discarded():
    given, wasted = billing_lines(25, Decimal("75.0"))

    assert given.text == "J0476 × 1 (25 mcg given)"
    assert wasted.text == "J0476-JW × 1 (75 mcg discarded)"


@pytest.mark.parametrize(
    ("dose", "discarded", "expected"),
    [
        (50, "12.5", [("J0476", 1), ("J0476-JW", 1)]),  # 62.5 mcg opened: 2 units, 1 beyond
        (75, "12.5", [("J0476-JZ", 2)]),  # 87.5 mcg: still within the 2 units of the dose
        (25, "12.5", [("J0476-JZ", 1)]),  # 37.5 mcg: within the first ampule
        (75, "25.1", [("J0476", 2), ("J0476-JW", 1)]),  # 100.1 mcg: a third unit begun
        (25, "125", [("J0476", 1), ("J0476-JW", 2)]),  # 150 mcg: two whole units discarded
        (100, "0.1", [("J0476", 2), ("J0476-JW", 1)]),
    ],
)
def test_fractional_and_large_discards(dose, discarded, expected):
    assert lines(dose, Decimal(discarded)) == expected


def test_an_unrecorded_discard_bills_the_dose_with_neither_modifier_and_says_why():
    (line,) = billing_lines(50, None)

    # JZ would attest that nothing was discarded; JW needs the amount.
    assert (line.billed_code, line.units) == ("J0476", 1)
    assert line.note == NOT_RECORDED
    assert "discarded amount not recorded" in line.text


def test_a_dose_of_zero_is_not_billed():
    assert billing_lines(0, Decimal(0)) == []
    assert billing_lines(0, Decimal(50)) == []  # discarded drug alone is never billed


@pytest.mark.parametrize(("dose", "discarded"), [(-25, 0), (50, -1)])
def test_negative_amounts_are_refused(dose, discarded):
    with pytest.raises(ValueError, match="negative"):
        billing_lines(dose, Decimal(discarded))


@pytest.mark.parametrize(("mcg", "units"), [(25, 1), (50, 1), ("50.1", 2), (75, 2), (100, 2)])
def test_j0476_units_are_the_amount_over_50_rounded_up(mcg, units):
    assert units_for(Decimal(mcg)) == units


def attempt(**overrides):
    fields = {
        "number": 1, "dose_mcg": 50, "given_at": GIVEN, "discarded_mcg": Decimal(0),
        "image_guidance": False, "amendments": SimpleNamespace(all=list),
    } | overrides  # fmt: skip
    return SimpleNamespace(**fields)


@pytest.mark.parametrize(("imaging", "cpt"), [(True, "62323"), (False, "62322"), (None, "62322")])
def test_lumbar_injection_code_depends_on_imaging(imaging, cpt):
    assert attempt_billing(attempt(image_guidance=imaging)).cpt == cpt


def test_an_attempt_summarises_its_lines_for_the_csv():
    jw = attempt_billing(attempt(dose_mcg=25, discarded_mcg=Decimal(75)))
    jz = attempt_billing(attempt(dose_mcg=75, discarded_mcg=Decimal(25)))
    unknown = attempt_billing(attempt(discarded_mcg=None))

    assert (jw.units, jw.modifier, jw.jw_units) == (1, "", 1)
    assert (jz.units, jz.modifier, jz.jw_units) == (2, "JZ", 0)
    assert (unknown.units, unknown.modifier, unknown.jw_units) == (1, "", None)


def test_a_planned_dose_not_given_is_not_billed():
    blocks = trial_billing([attempt(), attempt(number=2, dose_mcg=75, given_at=None)])

    assert [b.attempt_number for b in blocks] == [1]
