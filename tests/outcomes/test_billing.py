"""The billing block: J0476 units, JW / JZ, CPT 62323 / 62322 (DOMAIN.md §5)."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from trials.outcomes.billing import billing_line, billing_lines, units_for

GIVEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def attempt(**overrides):
    fields = {
        "number": 1, "dose_mcg": 50, "given_at": GIVEN, "discarded_mcg": Decimal(0),
        "image_guidance": False,
    } | overrides  # fmt: skip
    return SimpleNamespace(**fields)


@pytest.mark.parametrize(("dose", "units"), [(25, 1), (50, 1), (75, 2), (100, 2)])
def test_j0476_units_are_the_dose_over_50_rounded_up(dose, units):
    assert billing_line(attempt(dose_mcg=dose)).units == units


def test_nothing_discarded_is_jz():
    line = billing_line(attempt(discarded_mcg=Decimal(0)))

    assert (line.modifier, line.discarded_units) == ("JZ", 0)
    assert line.modifier_text == "JZ – no drug discarded"


def test_discarded_drug_is_jw_with_the_amount():
    line = billing_line(attempt(dose_mcg=50, discarded_mcg=Decimal("50.0")))

    assert (line.modifier, line.discarded_units) == ("JW", 1)
    assert line.modifier_text == "JW – 50 mcg discarded (1 unit)"


def test_an_unrecorded_discard_chooses_neither_modifier():
    line = billing_line(attempt(discarded_mcg=None))

    assert line.modifier == ""
    assert "not recorded" in line.modifier_text


@pytest.mark.parametrize(("imaging", "cpt"), [(True, "62323"), (False, "62322"), (None, "62322")])
def test_lumbar_injection_code_depends_on_imaging(imaging, cpt):
    assert billing_line(attempt(image_guidance=imaging)).cpt == cpt


def test_a_planned_dose_not_given_is_not_billed():
    lines = billing_lines([attempt(), attempt(number=2, dose_mcg=75, given_at=None)])

    assert [line.attempt_number for line in lines] == [1]


def test_units_of_a_fractional_amount():
    assert units_for(Decimal("50.1")) == 2
