"""N synthetic patients for benchmarks, written in bulk. FOR SYNTHETIC BENCHMARK DATA ONLY.

The service path costs about a thousand queries per completed trial, far too slow for thousands
of trials, so this path bypasses the services on purpose: it plans each trial's course
(plan.py), writes the part that has happened (trial_rows.py) and inserts the rows in batches of
BATCH_PATIENTS patients, one transaction per batch, each row with the time it happened
(rows.insert_as_given). The rows satisfy every database constraint and follow the protocol's
rules, but no service checked them; each synthetic trial (and each synthetic patient without a
trial) gets one AuditEvent row with action "seed" saying so.

History (the default): the referrals are spread evenly over max(1, N / 500) years up to today,
about ten a week. The services refuse clinical times before 2000, so the history goes back to
2001 at most: beyond 12,500 patients, the last RECENT_YEARS keep that pace and the years before
them hold the rest, so a larger N is more history, not a busier clinic today. Each trial runs
its course, so what is open today is what a clinic of that size has open: tens of trials, a
handful in observation (a few of today's doses are brought forward to today when none fell
there by chance), and the rest closed. Now and then
a discharge was never recorded (FORGOTTEN_SHARE of the trials): those trials stay in
observation, as they would in a real clinic, for the board's "discharge not recorded" group.

All phases in bulk (`--all-phases-bulk`): the old mix, every patient's trial placed so that it
stands in a phase drawn from STATUS_WEIGHTS today: thousands in observation at 100k.

The data come from random.Random(seed): a run is reproducible apart from the moment it is
anchored to.
"""

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from patients.models import Diagnosis, Patient, Sex
from trials.models import SiteSettings
from trials.procedure import Phase
from trials.services.timing import EARLIEST

from .plan import DAY, HOUR, MINUTE, Story, between, pick, plan_story
from .rows import Ids, Rows
from .trial_rows import TrialRows
from .vocabulary import (
    ALLERGIES,
    ANTICOAGULANTS,
    ANTISPASMODICS,
    CHILD_ANTISPASMODICS,
    DIAGNOSIS_DETAILS,
    FEMALE_NAMES,
    LAST_NAMES,
    MALE_NAMES,
)

BATCH_PATIENTS = 1000
SYNTHETIC_MRN_PREFIX = "SYN"
YEAR = timedelta(days=365)
PATIENTS_PER_YEAR = 500
RECENT_YEARS = 2  # at the usual pace whatever N: every trial still open today began in them
UNTRIED_SHARE = 0.05  # referred, but no trial started
EARLIER_TRIAL_SHARE = 0.06  # an earlier trial, cancelled months before this one
FORGOTTEN_SHARE = 0.001  # a discharge never recorded
IN_OBSERVATION_TODAY = 4  # a handful of doses given today and still observed

STATUS_WEIGHTS = [  # --all-phases-bulk
    (None, 5),  # referred, no trial yet
    (Phase.PREPARATION, 10),
    (Phase.INJECTION, 8),
    (Phase.OBSERVATION, 6),
    (Phase.FOLLOW_UP, 10),
    (Phase.COMPLETED, 50),
    (Phase.CANCELLED, 11),
]
DIAGNOSIS_WEIGHTS = [
    (Diagnosis.MULTIPLE_SCLEROSIS, 35),
    (Diagnosis.SPINAL_CORD_INJURY, 25),
    (Diagnosis.CEREBRAL_PALSY, 20),
    (Diagnosis.ACQUIRED_BRAIN_INJURY, 15),
    (Diagnosis.OTHER, 5),
]


def analyze() -> None:
    """Bring PostgreSQL's statistics up to the rows written so far.

    Each batch derives its trials' dashboard figures with one query over the batch's scores;
    planned on statistics from when the tables were a fraction of their size, that query took
    39 s per batch at 8,000 patients (a nested loop over every assessment) and the seed slowed
    from 88 to 59 patients/s. Autovacuum analyzes in its own time, too late for a bulk load, so
    the seed does it each time the data has doubled: about log2(N / 1000) times in all.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def history_years(count: int, now: datetime) -> int:
    """max(1, N / 500) years, but none before the earliest clinical time the services accept."""
    return max(1, min(round(count / PATIENTS_PER_YEAR), now.year - EARLIEST.year - 1))


class SyntheticData:
    def __init__(self, *, nurse: User, neurologist: User, seed: int, out, all_phases=False):
        self.rng = random.Random(seed)
        self.seed = seed
        self.out = out
        self.all_phases = all_phases
        self.now = timezone.now()
        site = SiteSettings.current()
        self.writer = TrialRows(self.rng, nurse=nurse, neurologist=neurologist, site=site)
        self.observed_today = 0
        self.ids = Ids()

    def write(self, count: int) -> int:
        """Write `count` patients; returns the number of trials written."""
        number = self.last_number()
        referrals = self.referrals(count)
        started = time.monotonic()
        done = trials = analyzed = 0
        while done < count:
            size = min(BATCH_PATIENTS, count - done)
            rows = Rows(self.ids)
            for referred in referrals[done : done + size]:
                number += 1
                self.patient(rows, f"{SYNTHETIC_MRN_PREFIX}{number:07d}", referred)
            with transaction.atomic():
                rows.save(self.seed)
            done += size
            if done >= 2 * analyzed:
                analyze()
                analyzed = done
            trials += len(rows.trials)
            if count >= BATCH_PATIENTS:
                elapsed = time.monotonic() - started
                self.out.write(
                    f"  {done}/{count} patients, {trials} trials "
                    f"({done / max(elapsed, 1e-9):.0f} patients/s)"
                )
        return trials

    def last_number(self) -> int:
        last = (
            Patient.objects.filter(mrn__startswith=SYNTHETIC_MRN_PREFIX)
            .order_by("-mrn")
            .values_list("mrn", flat=True)
            .first()
        )
        return int(last[len(SYNTHETIC_MRN_PREFIX) :]) if last else 0

    def referrals(self, count: int) -> list[datetime]:
        """The referral moments in time order (for --all-phases-bulk: placed later, per trial):
        evenly over the history's years, or, where the years since 2001 cannot hold N at the
        usual pace, the last RECENT_YEARS at that pace and the rest in the years before."""
        start = self.now - history_years(count, self.now) * YEAR
        recent = PATIENTS_PER_YEAR * RECENT_YEARS
        if count <= history_years(count, self.now) * PATIENTS_PER_YEAR or count <= recent:
            spans = [(start, self.now, count)]
        else:
            since = self.now - RECENT_YEARS * YEAR
            spans = [(start, since, count - recent), (since, self.now, recent)]
        return sorted(between(self.rng, first, last) for first, last, n in spans for _ in range(n))

    # People.

    def patient(self, rows: Rows, mrn: str, referred: datetime) -> None:
        rng = self.rng
        diagnosis = pick(rng, DIAGNOSIS_WEIGHTS)
        child = diagnosis == Diagnosis.CEREBRAL_PALSY and rng.random() < 0.6
        age = rng.randint(4, 17) if child else rng.randint(19, 82)
        sex = pick(rng, [(Sex.FEMALE, 48), (Sex.MALE, 48), (Sex.OTHER, 2), (Sex.UNKNOWN, 2)])
        names = FEMALE_NAMES if sex == Sex.FEMALE else MALE_NAMES
        if sex in (Sex.OTHER, Sex.UNKNOWN):
            names = FEMALE_NAMES + MALE_NAMES
        weight = rng.randint(150, 600) if child else rng.randint(420, 1250)
        patient = rows.new(
            Patient,
            mrn=mrn,
            first_name=rng.choice(names),
            last_name=rng.choice(LAST_NAMES),
            date_of_birth=referred.date() - timedelta(days=age * 365 + rng.randint(0, 364)),
            sex=sex,
            weight_kg=Decimal(weight) / 10,
            diagnosis=diagnosis,
            diagnosis_detail=rng.choice(DIAGNOSIS_DETAILS[diagnosis]),
            allergies=rng.choice(ALLERGIES),
            anticoagulants="None" if child else rng.choice(ANTICOAGULANTS),
            oral_antispasmodics=rng.choice(CHILD_ANTISPASMODICS if child else ANTISPASMODICS),
        )
        young = child and age < 8
        story = (
            self.all_phases_story(young) if self.all_phases else self.history_story(young, referred)
        )
        if story is None or story.created > self.now:
            self.registered(patient, referred)
            rows.untried.append(patient)
            return
        self.registered(patient, story.created - HOUR)
        if rng.random() < EARLIER_TRIAL_SHARE:
            # An earlier trial, cancelled some months before this one was started.
            earlier = plan_story(rng, referred=story.referred, young=young, cancel=True)
            end = story.created - timedelta(days=rng.randint(30, 300))
            earlier = earlier.shift(end - earlier.closed)
            self.registered(patient, earlier.created - HOUR)
            self.writer.trial(rows, patient, earlier, self.now)
        self.writer.trial(rows, patient, story, self.now)

    def registered(self, patient: Patient, at: datetime) -> None:
        patient.created_at = patient.updated_at = at

    # Where each trial's story lies in time.

    def history_story(self, young: bool, referred: datetime) -> Story | None:
        rng = self.rng
        if rng.random() < UNTRIED_SHARE:
            return None
        story = plan_story(rng, referred=referred, young=young)
        phase, attempt = story.phase_at(self.now)
        if phase == Phase.OBSERVATION:
            self.observed_today += 1
        elif phase == Phase.INJECTION and self.observed_today < IN_OBSERVATION_TODAY:
            self.dose_today(story, attempt)
        elif phase in Phase.CLOSED and rng.random() < FORGOTTEN_SHARE and not story.cancelled:
            forgotten = rng.choice(story.attempts)
            story.stopped = forgotten.discharged - MINUTE
        return story

    def dose_today(self, story: Story, attempt) -> None:
        """Bring this waiting dose forward to today, when the protocol allows it."""
        earlier = [a for a in story.attempts if a.number < attempt.number]
        given = self.now - timedelta(minutes=self.rng.randint(10, 240))  # discharge later
        if given < attempt.planned + HOUR:
            return
        if earlier and given < earlier[-1].given + DAY:
            return
        story.bring_forward(attempt, given)
        self.observed_today += 1

    def all_phases_story(self, young: bool) -> Story | None:
        """A trial placed so that it stands today in a phase drawn from STATUS_WEIGHTS."""
        rng = self.rng
        status = pick(rng, STATUS_WEIGHTS)
        if status is None:
            return None
        start = self.now - 2 * YEAR  # any moment: the story is moved to its place below
        if status in Phase.CLOSED:
            story = plan_story(rng, referred=start, young=young, cancel=status == Phase.CANCELLED)
            end = self.now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 900))
            return story.shift(end - story.closed)
        n = pick(rng, [(1, 70), (2, 22), (3, 8)])
        last = rng.random() < 0.5
        story = plan_story(rng, referred=start, young=young, decisions=[False] * (n - 1) + [last])
        n = min(n, len(story.attempts))
        attempt = story.attempts[n - 1] if status != Phase.PREPARATION else None
        begin, end = story.stage_span(status, attempt)
        cut = between(rng, begin, end)
        return story.shift(self.now - timedelta(seconds=rng.randint(0, 60)) - cut)
