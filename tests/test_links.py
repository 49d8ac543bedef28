"""A record's link in a list is the one reverse() gives, under any script prefix."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from core.links import record_url


@pytest.fixture
def prefix():
    yield set_script_prefix
    set_script_prefix("/")


@pytest.mark.parametrize("viewname", ["trials:detail", "patients:detail"])
@pytest.mark.parametrize("script_prefix", ["/", "/itb/"])
def test_a_record_link_is_the_reversed_url(prefix, viewname, script_prefix):
    prefix(script_prefix)

    for pk in (1, 42, 918273645, 10**12):
        assert record_url(viewname, pk) == reverse(viewname, args=[pk])


def test_a_page_without_an_integer_argument_is_refused():
    with pytest.raises(NoReverseMatch):
        record_url("trials:board", 1)
