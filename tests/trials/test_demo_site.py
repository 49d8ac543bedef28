"""The demo site (`make run`): built through the services, each step at its clinical time."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command

from audit.models import AuditEvent
from trials.demo.patients import DEMO_PATIENTS
from trials.demo.site import DemoSite
from trials.demo.users import demo_users_create
from trials.models import (
    AdverseEvent,
    Assessment,
    ChecklistEntry,
    DoseAttempt,
    PainMedication,
    Trial,
    VitalSigns,
)

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


def test_demo_site_stands_in_every_phase_with_every_record_entered_at_its_time(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    DemoSite(demo_users_create(), StringIO()).build()

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
