"""The demo site (`make run`): built through the services, each step at its clinical time, with
the demo users' authenticators and how to sign in printed.

The site is built once for the module, by `manage.py seed_demo` as `make run` builds it."""

import base64
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_TOTP_KEYS
from audit.models import AuditEvent
from tests.module_data import check_deferred
from tests.outcomes.test_fhir import of_type
from tests.outcomes.test_fhir_adverse_events import SERIOUSNESS, SEVERITY, code
from trials.demo.patients import DEMO_PATIENTS
from trials.models import (
    AdverseEvent,
    Assessment,
    ChecklistEntry,
    DoseAttempt,
    PainMedication,
    Trial,
    VitalSigns,
)
from trials.outcomes.fhir import trial_bundle

A_FEW_MINUTES = timedelta(minutes=5)
RECORDS = {  # model: its clinical time
    ChecklistEntry: "at",
    VitalSigns: "recorded_at",
    Assessment: "assessed_at",
    AdverseEvent: "onset_at",
    PainMedication: "given_at",
}
PHASES = {
    "preparation": "preparation",
    "injection": "injection",
    "overdue": "observation",
    "severe": "observation",
    "just_started": "observation",
    "awaiting_decision": "follow_up",
    "second_attempt": "injection",
    "awaiting_close": "follow_up",
    "candidate": "completed",
    "not_candidate": "completed",
    "child": "completed",
    "withdrawn": "completed",
    "cancelled": "cancelled",
}


@pytest.fixture(scope="module")
def module_demo(module_db, django_db_blocker) -> str:
    """What `manage.py seed_demo` printed, building the demo site once for the module."""
    out = StringIO()
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        call_command("seed_demo", stdout=out)
        check_deferred()
    return out.getvalue()


def test_demo_site_stands_in_every_phase_with_every_record_entered_at_its_time(db, module_demo):
    for key, phase in PHASES.items():
        trial = Trial.objects.get(patient__mrn=DEMO_PATIENTS[key].mrn)
        assert trial.status == phase, key
    assert not Trial.objects.filter(patient__mrn=DEMO_PATIENTS["referred"].mrn).exists()

    # No step typed a time in the past: each record was entered when it happened, none late.
    for model, clinical in RECORDS.items():
        for row in model.objects.all():
            assert timedelta(0) <= row.entered_at - getattr(row, clinical) <= A_FEW_MINUTES
            assert row.late_reason == ""
    for attempt in DoseAttempt.objects.filter(given_at__isnull=False):
        assert attempt.given_entered_at - attempt.given_at <= A_FEW_MINUTES
        assert attempt.given_late_reason == ""
    # The audit trail reads in time order, as a real clinic's does, and its chain is intact.
    times = list(AuditEvent.objects.order_by("pk").values_list("at", flat=True))
    assert times == sorted(times)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()


def test_seed_demo_builds_the_demo_with_authenticators_and_says_how_to_sign_in(db, module_demo):
    for username, key in DEMO_TOTP_KEYS.items():
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert base64.b32encode(device.bin_key).decode() == key
        assert key in module_demo
    assert "`make totp`" in module_demo


# Here, not in tests/outcomes/test_fhir_adverse_events.py, so that it reads the demo this module
# builds once: seed_demo is the longest build of the specification.
def test_the_demos_severe_event_is_exported(db, module_demo):
    trial = Trial.objects.for_fhir().get(patient__mrn="E2037462")  # the demo's severe patient

    resources = [e["resource"] for e in trial_bundle(trial)["entry"]]
    events = of_type({"entry": [{"resource": r} for r in resources]}, "AdverseEvent")
    severe = [e for e in events if code(e.severity) == (SEVERITY, "severe")]
    assert [(e.event.coding[0].code, code(e.outcome)[1]) for e in severe] == [
        ("hypotension", "ongoing")
    ]
    assert code(severe[0].seriousness) == (SERIOUSNESS, "serious")
