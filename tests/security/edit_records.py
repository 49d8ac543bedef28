"""The editable records of the app, as two people edit them: for each, the page, the two
editors, a change each makes (to different fields) and how to read what is stored. Shared by
the stale-form tests (test_edit_conflicts.py) and the real races (test_concurrent_edits.py)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from tests.factories import PASSWORD
from tests.views.support import local
from trials.models import AdverseEvent, SiteSettings
from trials.services import amendments


@dataclass(frozen=True)
class Editable:
    first: str  # who opens the form first and saves last (role of the `team` or "admin")
    second: str
    state: str | None  # the trial state the record needs, None for none
    url: Callable[[SimpleNamespace], str]
    theirs: Callable[[SimpleNamespace], dict]  # the second person's change
    yours: Callable[[SimpleNamespace], dict]  # the first person's change (another field)
    stored: Callable[[SimpleNamespace], dict]  # what is on record, for the fields changed
    conflict_label: str  # a field label the conflict table shows


def _amended(ctx, record: str) -> dict:
    attempt = ctx.trial.attempts.order_by("number").first()
    current = amendments.current_record(attempt, record)
    return {name: str(raw) for name, (raw, _shown) in current.items()}


def _attempt_url(name):
    return lambda ctx: reverse(name, args=[ctx.trial.pk, ctx.trial.attempts.get().pk])


def n(ctx) -> int:
    """The round of a repeated race (0 for a single edit): each round types new values."""
    return getattr(ctx, "n", 0)


def tag(ctx) -> str:
    return f" ({n(ctx)})" if n(ctx) else ""


SIGN = {"password": PASSWORD, "reason": "Corrected from the label"}

RECORDS = {
    "patient": Editable(
        "nurse", "neurologist", None,
        lambda ctx: reverse("patients:edit", args=[ctx.patient.pk]),
        lambda ctx: {"weight_kg": f"{64 + n(ctx)}.0"},
        lambda ctx: {"allergies": f"penicillin (rash){tag(ctx)}"},
        lambda ctx: _fields(ctx.patient, "weight_kg", "allergies"),
        "Weight (kg)",
    ),
    "trial details": Editable(
        "neurologist", "neurologist_2", "preparation",
        lambda ctx: reverse("trials:edit", args=[ctx.trial.pk]),
        lambda ctx: {"indication": f"Spasticity limiting transfers{tag(ctx)}"},
        lambda ctx: {"goals": f"Sleep through the night{tag(ctx)}"},
        lambda ctx: _fields(ctx.trial, "indication", "goals"),
        "Indication",
    ),
    "site settings": Editable(
        "admin", "admin_2", None,
        lambda ctx: reverse("trials:site_settings"),
        lambda ctx: {"responder_threshold": f"{1.5 + n(ctx) / 2}"},
        lambda ctx: {"fasting_hours": str(7 + n(ctx))},  # never the default 6: a real change
        lambda ctx: _fields(SiteSettings.current(), "responder_threshold", "fasting_hours"),
        "Responder threshold (fall in mean lower-limb MAS)",
    ),
    "adverse-event resolution": Editable(
        "nurse", "neurologist", "observation",
        lambda ctx: reverse("trials:adverse_event_resolve", args=[ctx.trial.pk, ctx.event.pk]),
        lambda ctx: {"resolution": f"Settled with fluids and rest{tag(ctx)}",
                     "resolved_at": local(timezone.now() - timedelta(minutes=10))},
        lambda ctx: {"action_taken": f"Paracetamol 1 g{tag(ctx)}",
                     "resolution": f"Eased after paracetamol{tag(ctx)}",
                     "resolved_at": local(timezone.now() - timedelta(minutes=5))},
        lambda ctx: _fields(AdverseEvent.objects.get(pk=ctx.event.pk), "resolution",
                            "action_taken"),
        "Resolution",
    ),
    "injection amendment": Editable(
        "neurologist", "neurologist_2", "observation",
        _attempt_url("trials:amend_injection"),
        lambda ctx: {"lot": f"LOT-229{2 + n(ctx)}"} | SIGN,
        lambda ctx: {"needle_gauge": str(25 - n(ctx))} | SIGN,
        lambda ctx: {k: _amended(ctx, "injection")[k] for k in ("lot", "needle_gauge")},
        "Lot",
    ),
    "discharge amendment": Editable(
        "nurse", "nurse_2", "follow_up",
        _attempt_url("trials:amend_discharge"),
        lambda ctx: {"discharge_note": f"Home with the leaflet; driver present{tag(ctx)}"} | SIGN,
        lambda ctx: {"discharge_note": f"Home with the leaflet, follow-up call{tag(ctx)}"} | SIGN,
        lambda ctx: {"discharge_note": _amended(ctx, "discharge")["discharge_note"]},
        "Discharge note",
    ),
}  # fmt: skip


def _fields(obj, *names) -> dict:
    obj.refresh_from_db()
    return {name: str(getattr(obj, name)) for name in names}


SECOND_USERS = {
    "neurologist_2": ("ines", Role.NEUROLOGIST, "Ines", "Varga"),
    "nurse_2": ("noor", Role.NURSE, "Noor", "Haddad"),
    "admin_2": ("bea", Role.ADMIN, "Bea", "Marsh"),
}


def person(name: str, team, admin_user) -> User:
    if name == "admin":
        return admin_user
    if name in SECOND_USERS:
        username, role, first, last = SECOND_USERS[name]
        user = User.objects.filter(username=username).first()
        return user or User.objects.create_user(
            username=username, password=PASSWORD, role=role, first_name=first, last_name=last
        )
    return getattr(team, name)


def page_values(client, url: str) -> dict:
    """The form as the page offers it, as a browser would post it untouched."""
    response = client.get(url)
    assert response.status_code == 200, url
    form = response.context["form"]
    return bound_values(form)


def bound_values(form) -> dict:
    data = {}
    for bound in form:
        value = bound.value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
            continue
        shown = bound.field.widget.format_value(value)
        if shown is not None:
            data[bound.html_name] = shown
    return data
