"""Any value a date or time column can hold never takes a page down (issue 9).

The forms and services refuse implausible times, but a legacy import, a restore or a hand edit
can store anything the column holds: an adverse event resolved in year 9999 or year 1, a vital
sign at 9999-12-31 23:59:59 UTC (year 10000 on a Tokyo clinic's clock), a birth date after the
referral, a dose given before its trial was referred. Each such value is stored here past the
services, then every page that shows the trial or its patient is opened by every role that may
open it: the trial page, summary, PDF, CSV and FHIR exports, the homes, the patient's pages and
every form of the trial. None may fail; each still shows what it showed before (a page may flag
the value).

Every date and time field of every model of the trials and patients apps comes from the models'
_meta, and every page from the URL configuration, so a new field or page is covered without
touching this file. The trials are built once for the module (through the services, as a user
would); each test stores one value in every date and time field, inside its own transaction,
which is rolled back after it.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import IntegrityError, connection, models, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

import trials.urls
from accounts.models import Role, User
from tests import factories
from tests.conftest import PASSWORD, sign_in
from tests.module_data import check_deferred
from trials import scenarios
from trials.models import AdverseEvent, SiteSettings, Trial
from trials.services import amendments, records, workflow

# --- What is stored ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extreme:
    name: str
    moment: datetime
    day: date
    zone: str  # the clinic's zone that takes `moment` off the calendar, if any
    keep: tuple[str, ...] = ()  # the models whose times stay as they were


EXTREMES = [
    # 31 December of year 0 on New York's clock, which Python cannot hold.
    Extreme("year 1", datetime(1, 1, 1, tzinfo=UTC), date(1, 1, 1), "America/New_York"),
    # Year 10000 on Tokyo's clock.
    Extreme(
        "year 9999",
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        date(9999, 12, 31),
        "Asia/Tokyo",
    ),
    # A plausible time before everything it depends on: every dose, score, decision and entry
    # years before the trial's referral, the patient's record and the site's settings.
    Extreme(
        "before it all",
        datetime(2000, 1, 1, tzinfo=UTC),
        date(2000, 1, 1),
        "Asia/Tokyo",
        keep=("Patient", "Trial", "TrialFigures", "SiteSettings"),
    ),
]

# Every date and time field of every model of the two apps (DateTimeField is a DateField too).
# One case per value stores it in all of them at once: a page meets every such time together,
# and a failure names the line of the app's code that raised.
MODELS = {
    model: [f for f in model._meta.concrete_fields if isinstance(f, models.DateField)]
    for app in ("patients", "trials")
    for model in apps.get_app_config(app).get_models()
}
MODELS = {model: fields for model, fields in MODELS.items() if fields}


def _store(model, field: models.DateField, extreme: Extreme) -> int:
    """Write the value into every row that has one, as SQL would (no save(), no service). The
    append-only triggers of PostgreSQL are off for this test's transaction only. A row whose
    own constraints refuse the value (resolved before its onset) keeps what it had: no page can
    meet that row."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: ALTER may run
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
            for (trigger,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')
    value = extreme.moment if isinstance(field, models.DateTimeField) else extreme.day
    rows = models.QuerySet(model).filter(**{f"{field.name}__isnull": False})
    assert rows.exists(), f"No row holds {model.__name__}.{field.name}: give the ward one."
    try:
        with transaction.atomic():
            return rows.update(**{field.name: value})
    except IntegrityError:
        return sum(
            _store_row(rows.filter(pk=pk), field, value) for pk in rows.values_list("pk", flat=True)
        )


def _store_row(row: models.QuerySet, field: models.DateField, value) -> int:
    try:
        with transaction.atomic():
            return row.update(**{field.name: value})
    except IntegrityError:
        return 0


# --- The ward: trials that fill every field, and the pages that show them ------------------------


@dataclass
class Page:
    role: str
    url: str
    # The MRNs a page of the trial or patient showed with ordinary values, and must still show.
    # A list (homes, dashboard, exports) need not: who is on it depends on the times stored.
    shows: tuple[str, ...]


@dataclass
class Ward:
    users: dict[str, User]
    pages: list[Page]


def _observed_twice(team: scenarios.Team) -> Trial:
    """Attempt 1 given, discharged, judged not effective and amended; attempt 2 in observation
    with vital signs, a score, pain medication, a severe adverse event resolved and one not, and
    the effect recorded worn off."""
    trial = factories.create_trial(factories.make_patient(), team)
    now = timezone.now()
    first = now - timedelta(days=2)
    scenarios.prepare(trial, team, at=first - timedelta(hours=2))
    scenarios.full_attempt(trial, team, given_at=first, post_grade="3")
    scenarios.decide(trial, team, responder=False, at=first + timedelta(hours=5))
    scenarios.plan_next(trial, team, dose_mcg=75, at=first + timedelta(hours=5, minutes=5))
    amendments.record_amend(
        trial_id=trial.pk, attempt_id=trial.attempts.get(number=1).pk, record="injection",
        actor=team.neurologist, password=PASSWORD, values={"lot": "LOT-2292"}, reason="Misread.",
    )  # fmt: skip
    given = now - timedelta(hours=3)
    scenarios.inject(trial, team, given_at=given)
    for minutes in (15, 30, 45, 60, 90, 120):
        scenarios.vitals(trial, team, at=given + timedelta(minutes=minutes))
    scenarios.score(trial, team, minutes_after=120, grade="2", given_at=given)
    scenarios.pain_medication(trial, team, at=given + timedelta(minutes=60))
    onset = given + timedelta(minutes=40)
    event = scenarios.adverse_event(trial, team, onset=onset, severity="severe")
    with scenarios.clock(given + timedelta(minutes=100)):
        records.adverse_event_resolve(
            trial_id=trial.pk, event_id=event.pk, actor=team.nurse, resolution="Settled.",
            resolved_at=given + timedelta(minutes=90),
        )  # fmt: skip
    scenarios.adverse_event(
        trial, team, onset=given + timedelta(minutes=50), severity="severe", kind="nausea"
    )
    with scenarios.clock(given + timedelta(minutes=150)):
        workflow.attempt_effect_worn_off(
            trial_id=trial.pk, actor=team.neurologist, at=given + timedelta(minutes=140)
        )
    return trial


def _urls(trial: Trial) -> Iterator[tuple[str, bool]]:
    """Every page of the URL configuration, for this trial and its patient: (url, whether it is
    the trial's or the patient's own page)."""
    attempt = trial.attempts.get(number=1)
    event = AdverseEvent.objects.filter(attempt__trial=trial).order_by("pk").first()
    args = {
        "trials": {"pk": trial.pk, "patient_pk": trial.patient_id, "attempt_pk": attempt.pk,
                   "event_pk": event.pk if event else 0, "checklist_key": "preparation",
                   "item_key": "no_infection"},
        "patients": {"pk": trial.patient_id},
    }  # fmt: skip
    queries = {
        "patients:list": f"?q={trial.patient.mrn}",  # the search finds the patient
        "trials:audit": f"?mrn={trial.patient.mrn}",
        "trials:outcomes_csv": "?sheet=attempts",
        "trials:outcomes": "?age_group=adult",
        "trials:outcomes_trials": "?age_group=child",
    }
    yield reverse("home"), False
    for namespace, module in (("trials", trials.urls), ("patients", trials.patient_urls)):
        for pattern in _patterns(module.urlpatterns):
            name = f"{namespace}:{pattern.name}"
            kwargs = {k: args[namespace][k] for k in pattern.pattern.converters}
            yield reverse(name, kwargs=kwargs), bool(kwargs)
            if name in queries:
                yield reverse(name, kwargs=kwargs) + queries[name], name == "patients:list"


def _patterns(patterns) -> Iterator[URLPattern]:
    """Every named pattern, those of included modules (the audit review's) too."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns)
        elif pattern.name:
            yield pattern


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture(scope="module")
def ward(django_db_setup, django_db_blocker) -> Iterator[Ward]:
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        users = {
            role: User.objects.create_user(
                username=f"{role}-x", password=PASSWORD, role=role, first_name=role,
                last_name="Extreme",
            )
            for role in Role.values
        }  # fmt: skip
        team = scenarios.Team(users[Role.NURSE], users[Role.NEUROLOGIST], PASSWORD)
        completed = factories.build_trial("completed", team, factories.make_patient())
        shown = [_observed_twice(team), completed]
        mrns = [t.patient.mrn for t in shown]
        urls = dict(url for t in shown for url in _urls(t))
        pages = []
        for role, user in users.items():
            client = sign_in(Client(), user)
            for url, own in urls.items():
                response = client.get(url)
                if response.status_code == 200:
                    text = _body(response).decode("utf-8", "replace")
                    shows = tuple(m for m in mrns if own and m in text)
                    pages.append(Page(role, url, shows))
        check_deferred()
        yield Ward(users, pages)
        transaction.set_rollback(True)


# --- The specification ---------------------------------------------------------------------------


def _failure(page: Page, client: Client) -> str | None:
    """What is wrong with the page (None when it answers and shows what it showed)."""
    try:
        with transaction.atomic():  # a failed query leaves the rest of the test usable
            response = client.get(page.url)
            body = _body(response)
    except Exception as exc:  # the failure itself is the finding: report it with the page
        return f"{page.role} {page.url}: {type(exc).__name__}: {exc} ({_where(exc)})"
    if response.status_code != 200:
        return f"{page.role} {page.url}: answered {response.status_code}"
    text = body.decode("utf-8", "replace")
    missing = [mrn for mrn in page.shows if mrn not in text]
    return f"{page.role} {page.url}: no longer shows {', '.join(missing)}" if missing else None


def _where(exc: BaseException) -> str:
    """The innermost line of the app's own code in the traceback."""
    tb, where = exc.__traceback__, "?"
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if "/site-packages/" not in name and "/tests/" not in name:
            where = f"{name.rsplit('/', 2)[-2]}/{name.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


@pytest.mark.parametrize("extreme", EXTREMES, ids=lambda e: e.name)
def test_every_page_survives_stored_extreme_values(ward, db, extreme):
    cache.clear()  # the dashboard's figures, cached by the newest audit row: a rolled-back id
    SiteSettings.objects.update(time_zone=extreme.zone)
    stored = {
        f"{model.__name__}.{field.name}": _store(model, field, extreme)
        for model, fields in MODELS.items()
        if model.__name__ not in extreme.keep
        for field in fields
    }
    # Only a value the database's own constraints refuse in every row (resolved before onset)
    # is left out.
    assert sum(1 for n in stored.values() if n) >= len(stored) - 2, stored

    clients = {role: sign_in(Client(), user) for role, user in ward.users.items()}
    failures = [f for page in ward.pages if (f := _failure(page, clients[page.role]))]

    assert not failures, "\n".join(failures)
