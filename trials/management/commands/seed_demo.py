"""Build the demo site: three demo logins and patients with trials in every phase.

`manage.py seed_demo` creates the users `nurse`, `neurologist` and `admin` (password
DEMO_PASSWORD) and fourteen patients whose trials stand in every phase and outcome. Those demo
trials are built only through trials/scenarios.py and trials/services, the same calls the pages
make, so they obey every protocol rule and carry a full audit trail. Each demo user also gets
a confirmed authenticator with a published key (accounts/demo.py), so the demo signs in with
the real second step: `manage.py demo_totp` prints the current codes. Running it again when the
demo users exist changes nothing (but adds a demo authenticator that is missing).

`manage.py seed_demo --patients N` also writes N synthetic patients for benchmarks. The service
path costs about a thousand queries per completed trial, far too slow for thousands of trials,
so THIS BULK PATH IS FOR SYNTHETIC BENCHMARK DATA ONLY: it bypasses the services on purpose and
writes Patient, Trial, DoseAttempt, Assessment, MasScore, VitalSigns, AdverseEvent, Signature,
ChecklistEntry and AuditEvent rows with bulk_create, in batches of BATCH_PATIENTS patients, one
transaction per batch. The rows satisfy every database constraint and follow the protocol's
order and 24 h rule, but no service checked them; each synthetic trial (and each synthetic
patient without a trial) gets one AuditEvent row with action "seed" saying so. The data are
drawn from random.Random(--seed), so a run is reproducible apart from the time it is anchored to.

Demo accounts have a published password: the command refuses to run unless DEBUG is on or
--force is given.
"""

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.demo import DEMO_TOTP_KEYS, demo_authenticators_ensure
from accounts.models import Role, User
from patients.models import Diagnosis, Patient, Sex
from patients.services import patient_create
from trials import procedure, responder, scenarios
from trials.models import (
    AdverseEvent,
    Assessment,
    AuditEvent,
    ChecklistEntry,
    DoseAttempt,
    MasScore,
    Signature,
    SiteSettings,
    Trial,
    VitalSigns,
)
from trials.models.checklist import EntryState
from trials.procedure import Phase
from trials.services import checklist, records, workflow
from trials.services.audit import audit_bulk_append

DEMO_PASSWORD = "itb-demo-2026"  # noqa: S105 - published on purpose; demo databases only
DEMO_URL = "http://127.0.0.1:8000"

DEMO_USERS = (
    # username, role, first name, last name, Django staff + superuser
    ("nurse", Role.NURSE, "Nina", "Ward", False),
    ("neurologist", Role.NEUROLOGIST, "Neil", "Harrington", False),
    ("admin", Role.ADMIN, "Alex", "Morgan", True),
)

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
BATCH_PATIENTS = 1000
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SYNTHETIC_MRN_PREFIX = "SYN"


class Command(BaseCommand):
    help = (
        "Create the demo users (nurse, neurologist, admin; password "
        f"{DEMO_PASSWORD}) and demo patients with trials in every phase. With --patients N, "
        "also bulk-write N synthetic patients for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients",
            type=int,
            default=0,
            metavar="N",
            help="Also write N synthetic patients with trials in all phases (bulk, for "
            "benchmarks; bypasses the services).",
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed of the synthetic data."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (the demo accounts have a published password).",
        )

    def handle(self, *args, patients: int, seed: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to seed: DEBUG is off. The demo accounts share a published password "
                "and belong only in demo databases. Set DJANGO_DEBUG=1, or pass --force if this "
                "database really is a demo database."
            )
        if patients < 0:
            raise CommandError("--patients must be zero or more.")

        wanted = [u[0] for u in DEMO_USERS]
        existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
        if existing and len(existing) < len(wanted):
            raise CommandError(
                f"Some demo usernames ({', '.join(sorted(existing))}) exist but not all of them: "
                "this database was not built by seed_demo. Use an empty database."
            )
        if existing:
            self.stdout.write("The demo site already exists (demo users found); not rebuilt.")
        else:
            started = time.monotonic()
            with transaction.atomic():
                # Signing re-checks the signer's password, ~0.4 s each with the production hasher
                # and ~50 signatures here. So the site is built with a fast hash, and the users get
                # their real hash before the transaction commits.
                with override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
                    users = create_demo_users()
                    DemoSite(users, self.stdout).build()
                for user in users.values():
                    user.set_password(DEMO_PASSWORD)
                    user.save(update_fields=["password"])
            self.stdout.write(
                self.style.SUCCESS(f"Demo site built in {time.monotonic() - started:.1f} s.")
            )

        added = demo_authenticators_ensure(User.objects.filter(username__in=wanted))
        if added and existing:
            self.stdout.write(f"Added {added} demo authenticator(s) with the published keys.")

        if patients:
            nurse = User.objects.get(username="nurse")
            neurologist = User.objects.get(username="neurologist")
            started = time.monotonic()
            written = SyntheticData(
                nurse=nurse, neurologist=neurologist, seed=seed, out=self.stdout
            ).write(patients)
            elapsed = time.monotonic() - started
            self.stdout.write(
                self.style.SUCCESS(
                    f"{patients} synthetic patients ({written} trials) written in {elapsed:.1f} s "
                    f"({patients / max(elapsed, 1e-9):.0f} patients/s)."
                )
            )

        self.print_logins()

    def print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write("Demo logins (demo database only):")
        self.stdout.write(f"  {'username':<12} {'password':<15} {'authenticator key':<34} role")
        for username, role, first, last, _ in DEMO_USERS:
            key = DEMO_TOTP_KEYS[username]
            self.stdout.write(
                f"  {username:<12} {DEMO_PASSWORD:<15} {key:<34} {role.label} ({first} {last})"
            )
        self.stdout.write(
            "Sign in with the password, then the 6-digit code: `make totp` (or "
            "`manage.py demo_totp`) prints each user's current code, or add the key to an "
            "authenticator app."
        )
        self.stdout.write(f"Open {DEMO_URL}")


def create_demo_users() -> dict[str, User]:
    users = {}
    for username, role, first, last, superuser in DEMO_USERS:
        users[username] = User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            first_name=first,
            last_name=last,
            email=f"{username}@demo.invalid",
            is_staff=superuser,
            is_superuser=superuser,
        )
    return users


# --- The demo site, through the services ------------------------------------------------------

REFERRER = "Dr Helen Marsh (rehabilitation medicine)"


@dataclass
class DemoPatient:
    mrn: str
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    weight_kg: str
    diagnosis: str
    diagnosis_detail: str
    allergies: str
    anticoagulants: str
    oral_antispasmodics: str

    def data(self) -> dict:
        values = dict(self.__dict__)
        values["weight_kg"] = Decimal(self.weight_kg)
        return values


DEMO_PATIENTS = {
    "referred": DemoPatient(
        "E2041187", "Tomasz", "Kowalczyk", date(1986, 3, 14), Sex.MALE, "82.4",
        Diagnosis.SPINAL_CORD_INJURY, "T6 complete paraplegia (ASIA A), fall from height 2019",
        "None known", "Enoxaparin 40 mg SC daily (VTE prophylaxis)",
        "Baclofen 20 mg four times daily; tizanidine 4 mg at night",
    ),
    "preparation": DemoPatient(
        "E2039954", "Margaret", "Ellison", date(1968, 9, 2), Sex.FEMALE, "64.0",
        Diagnosis.MULTIPLE_SCLEROSIS, "Secondary progressive MS, EDSS 7.5",
        "Penicillin (rash)", "Aspirin 75 mg daily",
        "Baclofen 25 mg three times daily (drowsy on higher doses); gabapentin 300 mg three times "
        "daily",
    ),
    "injection": DemoPatient(
        "E2040311", "Samuel", "Adeyemi", date(1995, 11, 21), Sex.MALE, "71.5",
        Diagnosis.ACQUIRED_BRAIN_INJURY, "Traumatic brain injury, road traffic collision 2022",
        "None known", "None", "Baclofen 20 mg three times daily; dantrolene 50 mg twice daily",
    ),
    "overdue": DemoPatient(
        "E2038820", "Ruth", "Okonkwo-Baines", date(1959, 4, 30), Sex.FEMALE, "58.2",
        Diagnosis.MULTIPLE_SCLEROSIS, "Primary progressive MS",
        "Latex", "None", "Tizanidine 8 mg three times daily",
    ),
    "severe": DemoPatient(
        "E2037462", "Declan", "Murphy", date(1979, 7, 8), Sex.MALE, "90.1",
        Diagnosis.SPINAL_CORD_INJURY, "C6 incomplete tetraplegia (ASIA C), diving injury 2016",
        "Sulfonamides (urticaria)", "Apixaban 5 mg twice daily, held 48 h before the dose",
        "Baclofen 25 mg four times daily",
    ),
    "just_started": DemoPatient(
        "E2042005", "Aisha", "Rahman", date(2004, 1, 17), Sex.FEMALE, "49.8",
        Diagnosis.CEREBRAL_PALSY, "Spastic diplegia, GMFCS III",
        "None known", "None", "Baclofen 15 mg three times daily",
    ),
    "awaiting_decision": DemoPatient(
        "E2036110", "Graham", "Whitfield", date(1963, 12, 5), Sex.MALE, "77.3",
        Diagnosis.ACQUIRED_BRAIN_INJURY, "Left MCA ischaemic stroke 2023, right hemiparesis",
        "Codeine (vomiting)", "Clopidogrel 75 mg daily, continued after review",
        "Baclofen 10 mg three times daily",
    ),
    "second_attempt": DemoPatient(
        "E2035583", "Ingrid", "Solberg", date(1972, 5, 19), Sex.FEMALE, "69.9",
        Diagnosis.MULTIPLE_SCLEROSIS, "Secondary progressive MS, wheelchair user",
        "None known", "None", "Baclofen 20 mg four times daily; tizanidine 2 mg at night",
    ),
    "awaiting_close": DemoPatient(
        "E2034071", "Oliver", "Pemberton", date(1990, 2, 27), Sex.MALE, "84.6",
        Diagnosis.OTHER, "Hereditary spastic paraplegia (SPG4)",
        "Chlorhexidine (contact dermatitis)", "None",
        "Baclofen 25 mg three times daily",
    ),
    "candidate": DemoPatient(
        "E2029905", "Beatriz", "Santos", date(1981, 8, 11), Sex.FEMALE, "61.7",
        Diagnosis.SPINAL_CORD_INJURY, "T10 incomplete paraplegia (ASIA B), 2018",
        "None known", "None", "Baclofen 20 mg four times daily",
    ),
    "not_candidate": DemoPatient(
        "E2027748", "Harold", "Finch", date(1955, 10, 3), Sex.MALE, "73.0",
        Diagnosis.MULTIPLE_SCLEROSIS, "Secondary progressive MS",
        "Penicillin (anaphylaxis)", "Warfarin, INR 2.1 (held 5 days before each dose)",
        "Baclofen 20 mg three times daily; dantrolene 25 mg daily",
    ),
    "child": DemoPatient(
        "E2031266", "Leo", "Fitzgerald", date(2019, 6, 23), Sex.MALE, "19.4",
        Diagnosis.CEREBRAL_PALSY, "Spastic quadriplegia, GMFCS IV",
        "None known", "None", "Baclofen 5 mg three times daily",
    ),
    "withdrawn": DemoPatient(
        "E2030418", "Patricia", "Nowak", date(1966, 1, 29), Sex.FEMALE, "66.4",
        Diagnosis.ACQUIRED_BRAIN_INJURY, "Hypoxic brain injury after cardiac arrest 2021",
        "None known", "None", "Tizanidine 4 mg three times daily",
    ),
    "cancelled": DemoPatient(
        "E2033590", "Kwame", "Asante", date(1988, 6, 6), Sex.MALE, "79.8",
        Diagnosis.SPINAL_CORD_INJURY, "T2 complete paraplegia (ASIA A), 2020",
        "None known", "None", "Baclofen 25 mg four times daily",
    ),
}  # fmt: skip

GOALS = {
    Diagnosis.MULTIPLE_SCLEROSIS: "Easier positioning and transfers; fewer night-time spasms; "
    "better sleep.",
    Diagnosis.SPINAL_CORD_INJURY: "Fewer spasms in the wheelchair; easier catheterisation and "
    "dressing; less pain.",
    Diagnosis.CEREBRAL_PALSY: "Easier care and hygiene; better sitting tolerance; less pain with "
    "stretching.",
    Diagnosis.ACQUIRED_BRAIN_INJURY: "Easier dressing and washing; better gait with a frame.",
    Diagnosis.OTHER: "Longer walking distance; fewer falls; less leg stiffness in the morning.",
}
INDICATION = (
    "Severe lower-limb spasticity not controlled by maximum tolerated oral antispasmodics "
    "(sedation at higher doses)."
)


class DemoSite:
    """The demo patients, one per phase and outcome, each built with the real services."""

    def __init__(self, users: dict[str, User], out):
        self.nurse = users["nurse"]
        self.neurologist = users["neurologist"]
        self.team = scenarios.Team(self.nurse, self.neurologist, DEMO_PASSWORD)
        self.out = out
        self.now = timezone.now()

    def build(self) -> None:
        SiteSettings.current()
        steps = [
            ("referred", "referred, no trial yet", self.referred),
            ("preparation", "preparation, partly ticked", self.preparation),
            ("injection", "injection, prepared and waiting", self.injection),
            ("overdue", "observation, vital signs overdue", self.overdue),
            ("severe", "observation, severe adverse event", self.severe),
            ("just_started", "observation, just injected", self.just_started),
            ("awaiting_decision", "follow-up, awaiting the decision", self.awaiting_decision),
            ("second_attempt", "injection of attempt 2 after 50 mcg failed", self.second_attempt),
            ("awaiting_close", "follow-up, responder, awaiting close", self.awaiting_close),
            ("candidate", "completed, pump candidate", self.candidate),
            ("not_candidate", "completed, not a candidate", self.not_candidate),
            ("child", "completed, pump candidate at 25 mcg", self.child),
            ("withdrawn", "completed, withdrawn", self.withdrawn),
            ("cancelled", "cancelled", self.cancelled),
        ]
        for key, label, step in steps:
            patient = patient_create(actor=self.nurse, data=DEMO_PATIENTS[key].data())
            step(patient)
            self.out.write(f"  {patient.full_name:<24} {label}")

    # Helpers.

    def ago(self, **kwargs) -> datetime:
        return self.now - timedelta(**kwargs)

    def trial(self, patient: Patient, *, days_ago: int) -> Trial:
        return workflow.trial_create(
            patient=patient,
            actor=self.nurse,
            referred_on=(self.now - timedelta(days=days_ago)).date(),
            referred_by=REFERRER,
            indication=INDICATION,
            goals=GOALS[patient.diagnosis],
        )

    def tick(self, trial: Trial, checklist_key: str, *items: str) -> None:
        for key in items:
            item = procedure.CHECKLISTS[checklist_key].item(key)
            actor = self.neurologist if procedure.NEUROLOGIST in item.roles else self.nurse
            checklist.checklist_tick(
                trial_id=trial.pk, checklist_key=checklist_key, item_key=key, actor=actor
            )

    def follow_up_checks(self, trial: Trial) -> None:
        self.tick(trial, "follow_up", "appointment", "headache_checked", "site_checked")
        self.tick(trial, "follow_up", "infection_checked")

    def non_responder(self, trial: Trial, *, given_at: datetime, next_dose: int) -> None:
        scenarios.full_attempt(trial, self.team, given_at=given_at, post_grade="3")
        scenarios.decide(trial, self.team, responder=False)
        workflow.attempt_plan_next(trial_id=trial.pk, actor=self.neurologist, dose_mcg=next_dose)

    def close(self, trial: Trial, outcome: str, *, note: str = "", follow_up_days: int = 14):
        workflow.trial_close(
            trial_id=trial.pk,
            actor=self.neurologist,
            password=DEMO_PASSWORD,
            outcome=outcome,
            follow_up_on=(self.now + timedelta(days=follow_up_days)).date(),
            note=note,
        )

    # One method per demo patient.

    def referred(self, patient: Patient) -> None:
        """Registered after the referral; nobody has started a trial yet."""

    def preparation(self, patient: Patient) -> None:
        trial = self.trial(patient, days_ago=9)
        self.tick(trial, "preparation", "indication", "eligibility", "no_infection")

    def injection(self, patient: Patient) -> None:
        trial = self.trial(patient, days_ago=16)
        scenarios.prepare(trial, self.team, at=self.ago(days=2, hours=3))
        self.tick(trial, "day_of", "fasting", "medications")

    def overdue(self, patient: Patient) -> None:
        """Injected 2 h 5 min ago; vital signs only up to 60 min.

        The 90 min check is missed (its window closed at 105 min) and the 120 min check is overdue
        until its window closes at 150 min, i.e. for the first 25 minutes after seeding.
        """
        trial = self.trial(patient, days_ago=21)
        given_at = self.ago(minutes=125)
        scenarios.prepare(trial, self.team, at=self.ago(days=6))
        scenarios.inject(trial, self.team, given_at=given_at)
        for minutes in (15, 30, 45, 60):
            scenarios.vitals(
                trial, self.team, at=given_at + timedelta(minutes=minutes), heart_rate=76
            )
        scenarios.score(trial, self.team, minutes_after=120, grade="2", given_at=given_at)

    def severe(self, patient: Patient) -> None:
        """Hypotension at 95 min, treated, still not resolved."""
        trial = self.trial(patient, days_ago=30)
        given_at = self.ago(hours=3, minutes=10)
        scenarios.prepare(trial, self.team, at=self.ago(days=8))
        scenarios.inject(trial, self.team, given_at=given_at)
        readings = {
            15: {},
            30: {},
            45: {"systolic": 116, "diastolic": 72},
            60: {"systolic": 108, "diastolic": 66},
            90: {"systolic": 86, "diastolic": 48, "heart_rate": 54, "sedation": 1},
            120: {"systolic": 90, "diastolic": 52, "heart_rate": 56, "sedation": 1},
            180: {"systolic": 96, "diastolic": 58, "heart_rate": 60, "note": "Still dizzy."},
        }
        for minutes, values in readings.items():
            scenarios.vitals(trial, self.team, at=given_at + timedelta(minutes=minutes), **values)
        records.adverse_event_record(
            trial_id=trial.pk,
            actor=self.nurse,
            data={
                "kind": "hypotension",
                "severity": "severe",
                "onset_at": given_at + timedelta(minutes=95),
                "action_taken": "Lay flat, legs raised; IV sodium chloride 0.9% 500 mL bolus; "
                "neurologist informed; vital signs every 15 min.",
                "resolution": "",
                "resolved_at": None,
            },
        )
        scenarios.score(trial, self.team, minutes_after=120, grade="1", given_at=given_at)

    def just_started(self, patient: Patient) -> None:
        trial = self.trial(patient, days_ago=14)
        scenarios.prepare(trial, self.team, at=self.ago(days=3))
        scenarios.inject(trial, self.team, given_at=self.ago(minutes=10))

    def awaiting_decision(self, patient: Patient) -> None:
        """Discharged yesterday with a mild headache; the neurologist has not decided yet."""
        trial = self.trial(patient, days_ago=25)
        given_at = self.ago(hours=26)
        scenarios.prepare(trial, self.team, at=self.ago(days=5))
        scenarios.inject(trial, self.team, given_at=given_at)
        scenarios.observe(trial, self.team, post_grade="1+", given_at=given_at)
        records.adverse_event_record(
            trial_id=trial.pk,
            actor=self.nurse,
            data={
                "kind": "headache",
                "severity": "mild",
                "onset_at": given_at + timedelta(minutes=170),
                "action_taken": "Paracetamol; lying flat; oral fluids.",
                "resolution": "Settled within the hour.",
                "resolved_at": given_at + timedelta(minutes=230),
            },
        )
        records.pain_medication_record(
            trial_id=trial.pk,
            actor=self.nurse,
            data={
                "drug": "Paracetamol",
                "dose": "1 g",
                "route": "oral",
                "given_at": given_at + timedelta(minutes=180),
            },
        )
        scenarios.discharge(trial, self.team)

    def second_attempt(self, patient: Patient) -> None:
        """No response to 50 mcg two days ago; 75 mcg planned, allowed since yesterday."""
        trial = self.trial(patient, days_ago=28)
        scenarios.prepare(trial, self.team, at=self.ago(days=7))
        self.non_responder(trial, given_at=self.ago(days=2, hours=1), next_dose=75)

    def awaiting_close(self, patient: Patient) -> None:
        trial = self.trial(patient, days_ago=35)
        given_at = self.ago(days=4, hours=2)
        scenarios.prepare(trial, self.team, at=self.ago(days=9))
        scenarios.full_attempt(trial, self.team, given_at=given_at, post_grade="1")
        scenarios.decide(trial, self.team, responder=True)
        self.tick(trial, "follow_up", "appointment")

    def candidate(self, patient: Patient) -> None:
        trial = self.trial(patient, days_ago=40)
        scenarios.close_as_candidate(trial, self.team, days_ago=12)

    def not_candidate(self, patient: Patient) -> None:
        """No response to 50, 75 or 100 mcg, each given days apart."""
        trial = self.trial(patient, days_ago=60)
        start = self.ago(days=24)
        scenarios.prepare(trial, self.team, at=start - timedelta(days=3))
        self.non_responder(trial, given_at=start, next_dose=75)
        self.non_responder(trial, given_at=start + timedelta(days=3), next_dose=100)
        scenarios.full_attempt(trial, self.team, given_at=start + timedelta(days=6), post_grade="3")
        scenarios.decide(trial, self.team, responder=False)
        self.follow_up_checks(trial)
        self.close(
            trial,
            "not_candidate",
            note="No change in tone at 50, 75 or 100 mcg. Continue oral therapy and "
            "physiotherapy; botulinum toxin for the adductors discussed.",
            follow_up_days=-7,
        )

    def child(self, patient: Patient) -> None:
        """A small child starts at 25 mcg and responds to it."""
        trial = self.trial(patient, days_ago=75)
        start = self.ago(days=45)
        scenarios.tick_all(trial.pk, "preparation", self.team)
        records.assessment_record(
            trial_id=trial.pk,
            actor=self.neurologist,
            grades=scenarios.grades("3"),
            penn_frequency=2,
            penn_severity=2,
            assessed_at=start - timedelta(days=2),
            baseline=True,
        )
        workflow.preparation_sign(
            trial_id=trial.pk, actor=self.neurologist, password=DEMO_PASSWORD, first_dose_mcg=25
        )
        scenarios.full_attempt(trial, self.team, given_at=start, post_grade="1+")
        scenarios.decide(trial, self.team, responder=True)
        self.follow_up_checks(trial)
        self.close(trial, "pump_candidate", note="Refer for pump implant.", follow_up_days=-30)

    def withdrawn(self, patient: Patient) -> None:
        trial = self.trial(patient, days_ago=90)
        start = self.ago(days=50)
        scenarios.prepare(trial, self.team, at=start - timedelta(days=1))
        scenarios.full_attempt(trial, self.team, given_at=start, post_grade="3")
        scenarios.decide(trial, self.team, responder=False)
        self.close(
            trial,
            "withdrawn",
            note="Patient declined further test doses after the first; prefers to continue "
            "oral medication.",
            follow_up_days=-40,
        )

    def cancelled(self, patient: Patient) -> None:
        trial = self.trial(patient, days_ago=20)
        scenarios.prepare(trial, self.team, at=self.ago(days=4))
        self.tick(trial, "day_of", "fasting", "medications")
        workflow.trial_cancel(
            trial_id=trial.pk,
            actor=self.neurologist,
            reason="Urinary tract infection found on the day of the dose (positive urine dip, "
            "temperature 38.1 °C). Re-refer once treated.",
        )


# --- Synthetic benchmark data, written in bulk --------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


FEMALE_NAMES = words(
    "Olivia Amelia Isla Ava Mia Ivy Lily Grace Sophia Freya Florence Evie Emily Ella Poppy "
    "Margaret Susan Linda Karen Patricia Barbara Helen Ruth Joan Anne Fatima Aisha Priya Mei "
    "Yuki Sofia Lucia Ingrid Astrid Chiara Zainab Amara Niamh Siobhan Kerry Deborah Carol"
)
MALE_NAMES = words(
    "Oliver George Arthur Noah Leo Harry Oscar Jack Charlie Henry Thomas William James David "
    "Robert Michael John Peter Paul Richard Mark Stephen Kevin Ahmed Omar Ravi Arjun Wei Kenji "
    "Mateo Luca Lars Erik Tomasz Piotr Kwame Chidi Sean Declan Callum Graham Neville"
)
LAST_NAMES = words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Wright Robinson Thompson "
    "Evans Walker White Roberts Green Hall Wood Jackson Clarke Khan Ahmed Begum Ali Singh Chen "
    "Wang Nguyen Kim Novak Kowalski Nowak Mueller Schmidt Rossi Ferrari Garcia Martinez Lopez "
    "Silva Santos Okafor Adeyemi Mensah Asante Murphy Kelly O'Brien Byrne Walsh Fitzgerald "
    "Campbell Stewart MacDonald Morrison Hughes Edwards Lewis Morgan Price Harrington Ellison "
    "Whitfield Pemberton Solberg Lindqvist Andersen Jensen Hansen Dubois Laurent Moreau"
)

DIAGNOSIS_DETAILS = {
    Diagnosis.MULTIPLE_SCLEROSIS: [
        "Secondary progressive MS", "Primary progressive MS", "Relapsing-remitting MS, EDSS 6.5",
        "Secondary progressive MS, wheelchair user",
    ],
    Diagnosis.SPINAL_CORD_INJURY: [
        "C5 incomplete tetraplegia (ASIA C)", "T4 complete paraplegia (ASIA A)",
        "T11 incomplete paraplegia (ASIA B)", "C7 incomplete tetraplegia (ASIA D)",
    ],
    Diagnosis.CEREBRAL_PALSY: [
        "Spastic diplegia, GMFCS III", "Spastic quadriplegia, GMFCS IV",
        "Spastic quadriplegia, GMFCS V", "Spastic diplegia, GMFCS II",
    ],
    Diagnosis.ACQUIRED_BRAIN_INJURY: [
        "Traumatic brain injury (road traffic collision)", "Hypoxic brain injury",
        "Left MCA ischaemic stroke", "Subarachnoid haemorrhage",
    ],
    Diagnosis.OTHER: [
        "Hereditary spastic paraplegia", "Transverse myelitis", "Stiff person syndrome",
        "Spinal cord ischaemia after aortic surgery",
    ],
}  # fmt: skip
ALLERGIES = (
    ["None known"] * 8
    + ["Penicillin (rash)", "Latex", "Sulfonamides (urticaria)", "Codeine (vomiting)"]
    + ["Chlorhexidine (contact dermatitis)", "Iodinated contrast (hives)"]
)
ANTICOAGULANTS = ["None"] * 10 + [
    "Aspirin 75 mg daily",
    "Clopidogrel 75 mg daily",
    "Apixaban 5 mg twice daily, held 48 h before each dose",
    "Enoxaparin 40 mg SC daily (VTE prophylaxis)",
    "Warfarin, INR target 2-3, held before each dose",
]
ANTISPASMODICS = [
    "Baclofen 20 mg three times daily",
    "Baclofen 25 mg four times daily; tizanidine 4 mg at night",
    "Tizanidine 8 mg three times daily",
    "Dantrolene 50 mg twice daily",
    "Baclofen 10 mg three times daily (drowsy on higher doses)",
    "Baclofen 15 mg three times daily; gabapentin 300 mg three times daily",
    "Diazepam 5 mg at night; baclofen 20 mg three times daily",
]
CHILD_ANTISPASMODICS = ["Baclofen 5 mg three times daily", "Baclofen 10 mg twice daily", "None"]
REFERRERS = [
    "Dr Helen Marsh (rehabilitation medicine)",
    "Dr Rajesh Iyer (neurology)",
    "Dr Claire Dubois (paediatric neurology)",
    "Spinal injuries unit",
    "Community neurorehabilitation team",
    "",
]
GOAL_TEXTS = [
    "Easier positioning and transfers.",
    "Less care time for washing and dressing.",
    "Better sleep; fewer night-time spasms.",
    "Less pain.",
    "Better gait with a frame.",
    "Longer wheelchair tolerance.",
]
CANCEL_REASONS = {
    Phase.PREPARATION: [
        "Patient decided not to go ahead with the trial.",
        "Active pressure ulcer (non-healing wound); re-refer once healed.",
        "MS exacerbation; trial deferred for at least three months.",
        "Platelets 62 x10^9/L on the pre-trial blood work.",
    ],
    Phase.INJECTION: [
        "Urinary tract infection on the day of the dose; re-refer once treated.",
        "Unable to obtain CSF after repeated passes; refer for image-guided trial.",
        "Anticoagulant not held as instructed.",
    ],
    Phase.OBSERVATION: [
        "Respiratory depression after the dose; trial stopped.",
        "Seizure during observation; trial stopped, neurology review.",
    ],
    Phase.FOLLOW_UP: [
        "Spinal fluid leak needing a blood patch; patient withdrew from further test doses.",
        "Patient moved out of the area; care transferred.",
    ],
}
AE_KINDS = {
    "mild": [
        ("headache", 30), ("nausea", 20), ("dizziness", 15), ("sedation", 10), ("hypotonia", 8),
        ("urinary_retention", 5), ("bleeding", 4),
    ],
    "moderate": [
        ("headache", 30), ("nausea", 15), ("dizziness", 10), ("sedation", 10), ("hypotonia", 10),
        ("urinary_retention", 6), ("hypotension", 6), ("csf_leak", 5), ("bradycardia", 3),
        ("drug_reaction", 3),
    ],
    "severe": [
        ("headache", 25), ("hypotension", 20), ("sedation", 15), ("csf_leak", 10),
        ("bradycardia", 10), ("respiratory_depression", 8), ("hypotonia", 7), ("seizure", 5),
    ],
    "life_threatening": [("respiratory_depression", 50), ("seizure", 30), ("coma", 20)],
}  # fmt: skip
AE_SEVERITIES = [("mild", 60), ("moderate", 30), ("severe", 8), ("life_threatening", 2)]
AE_ACTIONS = {
    "mild": ("Observed; oral fluids.", "Settled without treatment."),
    "moderate": ("Paracetamol; lying flat; doctor informed.", "Resolved with treatment."),
    "severe": (
        "Neurologist called to the bedside; IV fluids; observations every 15 min.",
        "Resolved after treatment; observation extended.",
    ),
    "life_threatening": (
        "Emergency team called; airway and breathing supported; transferred to HDU.",
        "Recovered on HDU; discharged the next day.",
    ),
}

LOWER = list(procedure.LOWER_LIMB_GROUPS)
UPPER = list(procedure.UPPER_LIMB_GROUPS)
SIDES = [s for s, _ in procedure.SIDES]
GRADE_INDEX = {g: i for i, g in enumerate(procedure.MAS_GRADES)}

STATUS_WEIGHTS = [
    (None, 5),  # referred, no trial yet
    (Phase.PREPARATION, 10),
    (Phase.INJECTION, 8),
    (Phase.OBSERVATION, 6),
    (Phase.FOLLOW_UP, 10),
    (Phase.COMPLETED, 50),
    (Phase.CANCELLED, 11),
]
OUTCOME_WEIGHTS = [("pump_candidate", 55), ("not_candidate", 30), ("withdrawn", 15)]


def pick(rng: random.Random, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


@contextmanager
def keep_given_timestamps(*models):
    """Let bulk rows keep the past times set on them instead of auto_now/auto_now_add's 'now'.

    Only for the synthetic bulk path: the seed's own AuditEvent rows keep their real time.
    """
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class Rows:
    """The unsaved rows of one batch, in the order they must be inserted."""

    patients: list = field(default_factory=list)
    trials: list = field(default_factory=list)
    attempts: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    vitals: list = field(default_factory=list)
    adverse_events: list = field(default_factory=list)
    signatures: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    untried: list = field(default_factory=list)  # patients without a trial, for their audit row

    def save(self, seed: int) -> None:
        Patient.objects.bulk_create(self.patients, batch_size=1000)
        Trial.objects.bulk_create(self.trials, batch_size=1000)
        for model, objs in (
            (DoseAttempt, self.attempts),
            (Assessment, self.assessments),
            (MasScore, self.scores),
            (VitalSigns, self.vitals),
            (AdverseEvent, self.adverse_events),
            (Signature, self.signatures),
            (ChecklistEntry, self.entries),
        ):
            model.objects.bulk_create(objs, batch_size=1000)
        audit = [
            AuditEvent(
                actor=None,
                actor_name="seed_demo",
                action="seed",
                trial=trial,
                patient=trial.patient,
                object_type="Trial",
                object_id=str(trial.pk),
                summary=f"Synthetic benchmark trial written in bulk by seed_demo "
                f"({Phase.LABELS[trial.status]}); not entered through the app.",
                new={"status": trial.status, "outcome": trial.outcome, "seed": seed},
            )
            for trial in self.trials
        ] + [
            AuditEvent(
                actor=None,
                actor_name="seed_demo",
                action="seed",
                patient=patient,
                object_type="Patient",
                object_id=str(patient.pk),
                summary="Synthetic benchmark patient written in bulk by seed_demo.",
                new={"seed": seed},
            )
            for patient in self.untried
        ]
        audit_bulk_append(audit)  # hashed and chained like every other audit row


@dataclass
class AttemptPlan:
    dose: int
    given: bool = False
    discharged: bool = False
    responder: bool | None = None  # the decision to record (None: not decided yet)
    # Times relative to the referral, laid out by SyntheticData.trial.
    t_planned: timedelta = timedelta(0)
    t_given: timedelta | None = None
    t_discharged: timedelta | None = None
    t_decided: timedelta | None = None


@dataclass
class TrialPlan:
    status: str
    attempts: list[AttemptPlan]
    outcome: str = ""
    outcome_note: str = ""
    cancel_reason: str = ""
    stage: str = ""  # the open phase the trial stands (or stood, if cancelled) in


class SyntheticData:
    """N synthetic patients with trials spread over every phase and outcome, bulk-written."""

    def __init__(self, *, nurse: User, neurologist: User, seed: int, out):
        self.rng = random.Random(seed)
        self.seed = seed
        self.nurse = nurse
        self.neurologist = neurologist
        self.out = out
        self.now = timezone.now()
        self.threshold = SiteSettings.current().responder_threshold

    def write(self, count: int) -> int:
        last = (
            Patient.objects.filter(mrn__startswith=SYNTHETIC_MRN_PREFIX)
            .order_by("-mrn")
            .values_list("mrn", flat=True)
            .first()
        )
        number = int(last[len(SYNTHETIC_MRN_PREFIX) :]) if last else 0
        started = time.monotonic()
        done = trials = 0
        with keep_given_timestamps(
            Patient, Trial, DoseAttempt, ChecklistEntry, Signature, AdverseEvent
        ):
            while done < count:
                size = min(BATCH_PATIENTS, count - done)
                rows = Rows()
                for _ in range(size):
                    number += 1
                    self.patient(rows, f"{SYNTHETIC_MRN_PREFIX}{number:07d}")
                with transaction.atomic():
                    rows.save(self.seed)
                done += size
                trials += len(rows.trials)
                if count >= BATCH_PATIENTS:
                    elapsed = time.monotonic() - started
                    self.out.write(
                        f"  {done}/{count} patients, {trials} trials "
                        f"({done / max(elapsed, 1e-9):.0f} patients/s)"
                    )
        return trials

    # People.

    def patient(self, rows: Rows, mrn: str) -> None:
        rng = self.rng
        diagnosis = pick(
            rng,
            [
                (Diagnosis.MULTIPLE_SCLEROSIS, 35),
                (Diagnosis.SPINAL_CORD_INJURY, 25),
                (Diagnosis.CEREBRAL_PALSY, 20),
                (Diagnosis.ACQUIRED_BRAIN_INJURY, 15),
                (Diagnosis.OTHER, 5),
            ],
        )
        child = diagnosis == Diagnosis.CEREBRAL_PALSY and rng.random() < 0.6
        age = rng.randint(4, 17) if child else rng.randint(19, 82)
        sex = pick(rng, [(Sex.FEMALE, 48), (Sex.MALE, 48), (Sex.OTHER, 2), (Sex.UNKNOWN, 2)])
        names = FEMALE_NAMES if sex == Sex.FEMALE else MALE_NAMES
        if sex in (Sex.OTHER, Sex.UNKNOWN):
            names = FEMALE_NAMES + MALE_NAMES
        today = self.now.date()
        born = today - timedelta(days=age * 365 + rng.randint(0, 364))
        if child:
            weight = Decimal(rng.randint(150, 600)) / 10
        else:
            weight = Decimal(rng.randint(420, 1250)) / 10
        registered = self.now - timedelta(days=rng.randint(0, 800), minutes=rng.randint(0, 600))
        patient = Patient(
            mrn=mrn,
            first_name=rng.choice(names),
            last_name=rng.choice(LAST_NAMES),
            date_of_birth=born,
            sex=sex,
            weight_kg=weight,
            diagnosis=diagnosis,
            diagnosis_detail=rng.choice(DIAGNOSIS_DETAILS[diagnosis]),
            allergies=rng.choice(ALLERGIES),
            anticoagulants="None" if child else rng.choice(ANTICOAGULANTS),
            oral_antispasmodics=rng.choice(CHILD_ANTISPASMODICS if child else ANTISPASMODICS),
            created_at=registered,
            updated_at=registered,
        )
        rows.patients.append(patient)
        status = pick(rng, STATUS_WEIGHTS)
        if status is None:
            rows.untried.append(patient)
            return
        young = child and age < 8
        trial = self.trial(rows, patient, self.plan(status, young))
        if rng.random() < 0.06:
            # An earlier trial, cancelled some months before this one was started.
            end = trial.created_at - timedelta(days=rng.randint(30, 300))
            self.trial(rows, patient, self.plan(Phase.CANCELLED, young), end=end)

    # What happens in one trial.

    def plan(self, status: str, young: bool) -> TrialPlan:
        rng = self.rng
        first = 25 if young and rng.random() < 0.4 else procedure.FIRST_DOSE_MCG
        ladder = [d for d in procedure.DOSE_LADDER_MCG if d >= first][: procedure.MAX_ATTEMPTS]

        def given(n: int, last_responder=None) -> list[AttemptPlan]:
            """n given, discharged attempts; all but the last judged non-responsive."""
            plans = [AttemptPlan(ladder[i], True, True, False) for i in range(n)]
            plans[-1].responder = last_responder
            return plans

        if status == Phase.CANCELLED:
            stage = pick(
                rng,
                [
                    (Phase.PREPARATION, 45),
                    (Phase.INJECTION, 30),
                    (Phase.OBSERVATION, 10),
                    (Phase.FOLLOW_UP, 15),
                ],
            )
            plan = self.plan(stage, young)
            plan.status = Phase.CANCELLED
            plan.cancel_reason = rng.choice(CANCEL_REASONS[stage])
            return plan
        if status == Phase.PREPARATION:
            return TrialPlan(status, [], stage=status)
        if status == Phase.INJECTION:
            n = pick(rng, [(1, 70), (2, 22), (3, 8)])
            done = given(n - 1, False) if n > 1 else []
            return TrialPlan(status, [*done, AttemptPlan(ladder[n - 1])], stage=status)
        if status == Phase.OBSERVATION:
            n = pick(rng, [(1, 70), (2, 22), (3, 8)])
            done = given(n - 1, False) if n > 1 else []
            return TrialPlan(status, [*done, AttemptPlan(ladder[n - 1], True)], stage=status)
        if status == Phase.FOLLOW_UP:
            n = pick(rng, [(1, 65), (2, 25), (3, 10)])
            choices = [(None, 60), (True, 25)] + ([(False, 15)] if n < len(ladder) else [])
            return TrialPlan(status, given(n, pick(rng, choices)), stage=status)
        # Completed.
        outcome = pick(rng, OUTCOME_WEIGHTS)
        note = ""
        if outcome == "pump_candidate":
            n = pick(rng, [(1, 50), (2, 35), (3, 15)])
            attempts = given(n, True)
            note = "Refer for pump implant."
        elif outcome == "not_candidate":
            n = 3 if rng.random() < 0.8 else rng.randint(1, 2)
            attempts = given(n, False)
            note = (
                "No meaningful response to three test doses; continue oral therapy."
                if n == 3
                else "Poorly tolerated test dose; no further attempts."
            )
        else:
            n = rng.randint(1, 2)
            attempts = given(n, rng.random() < 0.3)
            note = "Patient declined further test doses or implant."
        return TrialPlan(status, attempts, outcome=outcome, outcome_note=note, stage=status)

    def timeline(self, plan: TrialPlan) -> dict[str, timedelta]:
        """Key times relative to the referral (t = 0), in the protocol's order and 24 h rule."""
        rng = self.rng
        t = {"created": timedelta(days=rng.randint(0, 3), hours=rng.randint(8, 16))}
        t["prep"] = t["created"] + timedelta(days=rng.randint(1, 21), minutes=rng.randint(0, 300))
        t["prep_signed"] = t["prep"] + timedelta(minutes=rng.randint(20, 3 * 24 * 60))
        previous = None
        for attempt in plan.attempts:
            if previous is None:
                attempt.t_planned = t["prep_signed"]
                start = attempt.t_planned + timedelta(
                    days=rng.randint(1, 21), hours=rng.randint(0, 6)
                )
            else:
                attempt.t_planned = previous.t_decided
                start = max(previous.t_given + DAY, attempt.t_planned + HOUR) + timedelta(
                    days=rng.randint(0, 9), minutes=rng.randint(0, 240)
                )
            if attempt.given:
                attempt.t_given = start
            if attempt.discharged:
                attempt.t_discharged = start + timedelta(minutes=rng.randint(250, 400))
            if attempt.responder is not None:
                attempt.t_decided = start + timedelta(minutes=rng.randint(400, 3 * 24 * 60))
            previous = attempt
        last = plan.attempts[-1] if plan.attempts else None
        if plan.stage == Phase.PREPARATION:
            t["stage"] = t["prep"]
        elif plan.stage == Phase.INJECTION:
            t["stage"] = last.t_planned
        elif plan.stage == Phase.OBSERVATION:
            t["stage"] = last.t_given
        else:  # follow-up or completed: discharged, perhaps decided
            t["stage"] = last.t_decided or last.t_discharged
        if plan.stage == Phase.OBSERVATION:  # cancelled during the observation
            t["closed"] = t["stage"] + timedelta(minutes=rng.randint(30, 400))
        else:
            t["closed"] = t["stage"] + timedelta(
                days=rng.randint(0, 21), minutes=rng.randint(60, 600)
            )
        return t

    def trial(
        self, rows: Rows, patient: Patient, plan: TrialPlan, end: datetime | None = None
    ) -> Trial:
        """Lay the plan on a timeline that ends at `end` (chosen here when not given)."""
        rng = self.rng
        t = self.timeline(plan)
        closed = plan.status in Phase.CLOSED
        if end is None:
            if closed:
                end = self.now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 900))
            elif plan.status == Phase.OBSERVATION:
                end = self.now - timedelta(minutes=rng.randint(5, 420))
            elif plan.status == Phase.FOLLOW_UP:
                end = self.now - timedelta(minutes=rng.randint(60, 14 * 24 * 60))
            else:
                end = self.now - timedelta(minutes=rng.randint(120, 20 * 24 * 60))
        origin = end - (t["closed"] if closed else t["stage"])
        # What has happened so far: up to now for an open trial, up to its closing otherwise.
        horizon = origin + t["closed"] if closed else self.now

        trial = Trial(
            patient=patient,
            status=plan.status,
            referred_on=origin.date(),
            referred_by=rng.choice(REFERRERS),
            goals=" ".join(rng.sample(GOAL_TEXTS, rng.randint(1, 3))),
            indication=INDICATION,
            outcome=plan.outcome,
            outcome_note=plan.outcome_note,
            follow_up_on=(origin + t["closed"] + timedelta(days=rng.randint(7, 60))).date()
            if plan.outcome
            else None,
            cancel_reason=plan.cancel_reason,
            closed_at=origin + t["closed"] if closed else None,
            created_by=self.nurse,
            created_at=origin + t["created"],
        )
        rows.trials.append(trial)
        if patient.created_at > trial.created_at:
            patient.created_at = patient.updated_at = trial.created_at - HOUR
        baseline = self.baseline_grades(upper=rng.random() < 0.4)

        # Preparation.
        prep_items = procedure.PREPARATION.items
        if plan.stage == Phase.PREPARATION:
            prep_items = prep_items[: rng.randint(0, len(prep_items))]
        self.entries(rows, trial, None, procedure.PREPARATION, origin + t["prep"], prep_items)
        if plan.stage != Phase.PREPARATION or rng.random() < 0.3:
            self.assessment(rows, trial, None, baseline, origin + t["prep"], None)
        if plan.stage == Phase.PREPARATION:
            return trial
        self.sign(rows, trial, None, "preparation", self.neurologist, origin + t["prep_signed"])

        # The dose attempts.
        previous = None
        for number, plan_attempt in enumerate(plan.attempts, start=1):
            attempt = DoseAttempt(
                trial=trial,
                number=number,
                dose_mcg=plan_attempt.dose,
                not_before=previous.given_at + DAY if previous else None,
                planned_by=self.neurologist,
                planned_at=origin + plan_attempt.t_planned,
            )
            attempt.post_dose_grades = []
            rows.attempts.append(attempt)
            if not plan_attempt.given:
                # Waiting for the dose: some of the day-of list may be ticked already.
                items = procedure.DAY_OF.items[: rng.randint(0, len(procedure.DAY_OF.items))]
                at = origin + plan_attempt.t_planned + timedelta(minutes=rng.randint(5, 50))
                self.entries(rows, trial, attempt, procedure.DAY_OF, at, items)
                break
            self.dose(rows, trial, attempt, plan_attempt, origin, horizon, baseline)
            if plan_attempt.responder is not None:
                at = origin + plan_attempt.t_decided
                self.decide(rows, trial, attempt, at, plan_attempt.responder, baseline)
            previous = attempt

        # Follow-up.
        if plan.status == Phase.COMPLETED:
            at = origin + t["closed"] - timedelta(minutes=rng.randint(10, 120))
            self.entries(rows, trial, None, procedure.FOLLOW_UP, at)
            self.sign(rows, trial, None, "close", self.neurologist, origin + t["closed"])
        elif plan.stage == Phase.FOLLOW_UP and rng.random() < 0.5:
            at = origin + t["stage"] + timedelta(minutes=rng.randint(5, 50))
            self.entries(rows, trial, None, procedure.FOLLOW_UP, at, procedure.FOLLOW_UP.items[:1])
        return trial

    def dose(self, rows, trial, attempt, plan_attempt, origin, horizon, baseline) -> None:
        """Injection, observation and (when the plan says so) discharge of a given attempt."""
        rng = self.rng
        given_at = origin + plan_attempt.t_given
        self.entries(rows, trial, attempt, procedure.DAY_OF, given_at - timedelta(minutes=90))
        self.entries(rows, trial, attempt, procedure.INJECTION, given_at - timedelta(minutes=15))
        guided = rng.random() < 0.15
        attempt.spinal_level = pick(rng, [("L3-L4", 60), ("L4-L5", 30), ("L2-L3", 10)])
        attempt.needle_type = pick(rng, [("pencil_point", 80), ("cutting", 20)])
        attempt.needle_gauge = rng.choice([22, 24, 25])
        attempt.clear_csf = True
        attempt.passes = pick(rng, [(1, 70), (2, 20), (3, 10)])
        attempt.image_guidance = guided
        attempt.radiologist = "Dr Amir Haddad" if guided else ""
        attempt.product = pick(rng, [("lioresal", 60), ("gablofen", 40)])
        attempt.concentration_mcg_ml = Decimal(50)
        attempt.lot = f"LOT-{rng.randint(1000, 9999)}"
        attempt.expiry = (given_at + timedelta(days=rng.randint(60, 700))).date()
        attempt.given_at = given_at
        attempt.duration_seconds = rng.randint(procedure.MIN_INJECTION_SECONDS, 180)
        attempt.discarded_mcg = Decimal(0) if rng.random() < 0.7 else Decimal(attempt.dose_mcg)
        attempt.performed_by = self.neurologist
        attempt.assisting_nurse = self.nurse
        self.sign(rows, trial, attempt, "injection", self.neurologist, given_at + 5 * MINUTE)

        discharged = plan_attempt.t_discharged is not None
        last = origin + plan_attempt.t_discharged if discharged else horizon
        hypotension = None
        if rng.random() < 0.15:
            event = self.adverse_event(attempt, given_at, last, discharged)
            if event is not None:
                rows.adverse_events.append(event)
                if event.kind == "hypotension":
                    hypotension = event.onset_at
        # Vital signs on the schedule; while observing, now and then the latest slots are missed.
        slots = [m for m in procedure.DEFAULT_VITALS_MINUTES if given_at + m * MINUTE <= last]
        if not discharged and rng.random() < 0.2:
            slots = slots[: max(0, len(slots) - rng.randint(1, 2))]
        for minutes in slots:
            at = min(last, given_at + timedelta(minutes=minutes, seconds=rng.randint(-120, 240)))
            rows.vitals.append(self.vital_signs(attempt, at, hypotension))
        # Post-dose spasticity at 2 h and 4 h, sometimes 6 h.
        responds = plan_attempt.responder
        if responds is None:
            responds = rng.random() < 0.55
        for minutes in procedure.DEFAULT_ASSESSMENT_MINUTES:
            at = given_at + minutes * MINUTE
            if at > last or (minutes > 240 and rng.random() < 0.7):
                continue
            drops = (1, 2, 2, 3) if responds else (0, 0, 0, 1)
            if minutes == 120:
                drops = tuple(max(0, d - 1) for d in drops)
            grades = self.post_grades(baseline, drops)
            attempt.post_dose_grades.append(grades)
            self.assessment(rows, trial, attempt, grades, at, minutes)
        if discharged:
            at = last - timedelta(minutes=rng.randint(5, 20))
            self.entries(rows, trial, attempt, procedure.OBSERVATION, at)
            attempt.discharged_at = last
            self.sign(rows, trial, attempt, "discharge", self.nurse, last)

    def decide(self, rows, trial, attempt, at, responder: bool, baseline) -> None:
        suggested = self.suggest(baseline, attempt.post_dose_grades)
        attempt.responder = responder
        attempt.suggested_responder = suggested
        if suggested is None or suggested != responder:
            attempt.decision_reason = (
                "Clear functional benefit reported by the patient and carers."
                if responder
                else "Tone reduced but no functional benefit; weakness on standing."
            )
        attempt.decided_by = self.neurologist
        attempt.decided_at = at
        self.sign(rows, trial, attempt, "decision", self.neurologist, at)

    # Rows.

    def entries(self, rows, trial, attempt, checklist_, at, items=None) -> None:
        rng = self.rng
        for n, item in enumerate(checklist_.items if items is None else items):
            by = self.neurologist if procedure.NEUROLOGIST in item.roles else self.nurse
            na = not item.required and rng.random() < 0.5
            rows.entries.append(
                ChecklistEntry(
                    trial=trial,
                    attempt=attempt,
                    checklist=checklist_.key,
                    item=item.key,
                    state=EntryState.NOT_APPLICABLE if na else EntryState.DONE,
                    na_reason="Not applicable for this patient." if na else "",
                    by=by,
                    at=min(self.now, at + timedelta(minutes=2 * n)),
                )
            )

    def sign(self, rows, trial, attempt, kind: str, signer: User, at: datetime) -> None:
        meaning, statement = procedure.SIGNATURE_MEANINGS[kind]
        rows.signatures.append(
            Signature(
                trial=trial,
                attempt=attempt,
                kind=kind,
                meaning=meaning,
                statement=statement,
                signer=signer,
                printed_name=signer.printed_name,
                signer_role=signer.role,
                signed_at=min(self.now, at),
            )
        )

    def baseline_grades(self, upper: bool) -> dict[tuple[str, str], str]:
        rng = self.rng
        grades = {}
        for group in LOWER + (UPPER if upper else []):
            for side in SIDES:
                if rng.random() < 0.04:
                    continue  # not assessed (no row; not a zero)
                grades[(group, side)] = pick(rng, [("1+", 2), ("2", 4), ("3", 4), ("4", 2)])
        if not any(g in LOWER for g, _ in grades):
            grades[("hip_adductors", "left")] = "3"
        return grades

    def post_grades(self, baseline, drops) -> dict[tuple[str, str], str]:
        rng = self.rng
        grades = {}
        for key, grade in baseline.items():
            if rng.random() < 0.03:
                continue
            grades[key] = procedure.MAS_GRADES[max(0, GRADE_INDEX[grade] - rng.choice(drops))]
        return grades

    def suggest(self, baseline, posts) -> bool | None:
        """The responder rule (trials/responder.py) on the generated grades."""

        def values(grades):
            return {k: procedure.MAS_VALUE[g] for k, g in grades.items() if k[0] in LOWER}

        comparisons = [
            responder.compare(values(baseline), values(post), label="", minutes_after=None)
            for post in posts
        ]
        return responder.Suggestion(self.threshold, comparisons).responder

    def assessment(self, rows, trial, attempt, grades, at, minutes) -> None:
        rng = self.rng
        strong = attempt is None or rng.random() < 0.4
        frequency = rng.randint(2, 4) if strong else rng.randint(0, 2)
        assessment = Assessment(
            trial=trial,
            attempt=attempt,
            minutes_after=minutes,
            assessed_at=min(self.now, at),
            assessed_by=self.neurologist,
            penn_frequency=frequency,
            penn_severity=rng.randint(1, 3) if frequency else None,
        )
        assessment._grades = grades
        rows.assessments.append(assessment)
        rows.scores.extend(
            MasScore(assessment=assessment, group=group, side=side, grade=grade)
            for (group, side), grade in grades.items()
        )

    def vital_signs(self, attempt, at, hypotension) -> VitalSigns:
        rng = self.rng
        low = hypotension is not None and hypotension <= at <= hypotension + timedelta(hours=2)
        systolic = rng.randint(80, 95) if low else rng.randint(102, 148)
        return VitalSigns(
            attempt=attempt,
            recorded_at=at,
            recorded_by=self.nurse,
            heart_rate=rng.randint(52, 62) if low else rng.randint(60, 96),
            systolic=systolic,
            diastolic=min(systolic - 20, rng.randint(45, 55) if low else rng.randint(60, 92)),
            respiratory_rate=rng.randint(12, 20),
            spo2=rng.randint(94, 100),
            temperature_c=Decimal(rng.randint(362, 375)) / 10,
            sedation=1 if low else pick(rng, [(0, 85), (1, 13), (2, 2)]),
            pain=rng.randint(0, 4),
            headache=rng.random() < 0.05,
        )

    def adverse_event(self, attempt, given_at, last, discharged) -> AdverseEvent | None:
        rng = self.rng
        onset = given_at + timedelta(minutes=rng.randint(20, 300))
        if onset > last:
            return None
        severity = pick(rng, AE_SEVERITIES)
        action, resolution = AE_ACTIONS[severity]
        resolved = None
        if discharged or rng.random() < 0.5:
            resolved = min(self.now, onset + timedelta(minutes=rng.randint(20, 600)))
        return AdverseEvent(
            attempt=attempt,
            kind=pick(rng, AE_KINDS[severity]),
            severity=severity,
            onset_at=onset,
            action_taken=action,
            resolution=resolution if resolved else "",
            resolved_at=resolved,
            recorded_by=self.nurse,
            recorded_at=min(self.now, onset + timedelta(minutes=rng.randint(2, 30))),
        )
