"""The demo site: fourteen patients, one per phase and outcome, built with the real services.

Each patient's story is a list of timed steps (script.py) ending at or before the moment the
site is built; all steps run in time order with the clock at each step's clinical time, so the
entry times, signatures and audit rows are honest and no record is entered late.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import User
from trials import scenarios
from trials.models import SiteSettings

from .patients import DEMO_PATIENTS, GOALS, INDICATION, REFERRER
from .script import MINUTE, Timeline, Track
from .users import DEMO_PASSWORD

STEPS = [
    ("referred", "referred, no trial yet"),
    ("preparation", "preparation, partly ticked"),
    ("injection", "injection, prepared and waiting"),
    ("overdue", "observation, vital signs overdue"),
    ("severe", "observation, severe adverse event"),
    ("just_started", "observation, just injected"),
    ("awaiting_decision", "follow-up, awaiting the decision"),
    ("second_attempt", "injection of attempt 2 after 50 mcg failed"),
    ("awaiting_close", "follow-up, responder, awaiting close"),
    ("candidate", "completed, pump candidate"),
    ("not_candidate", "completed, not a candidate"),
    ("child", "completed, pump candidate at 25 mcg"),
    ("withdrawn", "completed, withdrawn"),
    ("cancelled", "cancelled"),
]
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class DemoSite:
    """Build with `DemoSite(users, out).build()` inside one transaction."""

    def __init__(self, users: dict[str, User], out):
        self.nurse = users["nurse"]
        self.neurologist = users["neurologist"]
        self.team = scenarios.Team(self.nurse, self.neurologist, DEMO_PASSWORD)
        self.out = out
        # A minute of margin: the last step's moment stays behind the real clock.
        self.now = timezone.now() - MINUTE

    def build(self) -> None:
        SiteSettings.current()
        timeline = Timeline()
        tracks = {}
        for key, _ in STEPS:
            patient = DEMO_PATIENTS[key]
            track = Track(timeline, self.team, patient.data(), referrer=REFERRER)
            getattr(self, key)(track)
            tracks[key] = track
        timeline.run()
        for key, label in STEPS:
            self.out.write(f"  {tracks[key].patient.full_name:<24} {label}")

    # Helpers.

    def ago(self, **kwargs) -> datetime:
        return self.now - timedelta(**kwargs)

    def start(self, p: Track, *, days_ago: int) -> None:
        """The trial started on the day of its referral, mid-morning."""
        goals = GOALS[p.data["diagnosis"]]
        p.start_trial(self.ago(days=days_ago), indication=INDICATION, goals=goals)

    def non_responder(self, p: Track, given_at: datetime, *, next_dose: int) -> datetime:
        """A dose with no effect, judged so the next morning, the next dose planned then."""
        discharged = p.full_attempt(given_at, post_grade="3")
        p.decide(discharged + 18 * HOUR, responder=False)
        p.plan_next(discharged + 18 * HOUR + 5 * MINUTE, dose_mcg=next_dose)
        return discharged

    def follow_up_checks(self, p: Track, moment: datetime) -> None:
        p.tick(moment, "follow_up", "appointment", "headache_checked", "site_checked")
        p.tick(moment + 10 * MINUTE, "follow_up", "infection_checked")

    # One method per demo patient.

    def referred(self, p: Track) -> None:
        """Registered after the referral; nobody has started a trial yet."""
        p.register(self.ago(days=2, hours=3))

    def preparation(self, p: Track) -> None:
        self.start(p, days_ago=9)
        p.tick(self.ago(days=2), "preparation", "indication", "eligibility", "no_infection")

    def injection(self, p: Track) -> None:
        self.start(p, days_ago=16)
        p.prepare(self.ago(days=2, hours=3))
        p.tick(self.ago(minutes=25), "day_of", "fasting", "medications")

    def overdue(self, p: Track) -> None:
        """Injected 2 h 5 min ago; vital signs only up to 60 min.

        The 90 min check is missed (its window closed at 105 min) and the 120 min check is overdue
        until its window closes at 150 min, i.e. for the first 25 minutes after seeding.
        """
        self.start(p, days_ago=21)
        given_at = self.ago(minutes=125)
        p.prepare(self.ago(days=6))
        p.inject(given_at)
        for minutes in (15, 30, 45, 60):
            p.vitals(given_at + minutes * MINUTE, heart_rate=76)
        p.score(given_at, 120, "2")

    def severe(self, p: Track) -> None:
        """Hypotension at 95 min, treated, still not resolved."""
        self.start(p, days_ago=30)
        given_at = self.ago(hours=3, minutes=10)
        p.prepare(self.ago(days=8))
        p.inject(given_at)
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
            p.vitals(given_at + minutes * MINUTE, **values)
        p.adverse_event(
            given_at + 100 * MINUTE,
            kind="hypotension",
            severity="severe",
            onset_at=given_at + 95 * MINUTE,
            action_taken="Lay flat, legs raised; IV sodium chloride 0.9% 500 mL bolus; "
            "neurologist informed; vital signs every 15 min.",
        )
        p.score(given_at, 120, "1")

    def just_started(self, p: Track) -> None:
        self.start(p, days_ago=14)
        p.prepare(self.ago(days=3))
        p.inject(self.ago(minutes=10))

    def awaiting_decision(self, p: Track) -> None:
        """Discharged yesterday after a mild headache; the neurologist has not decided yet."""
        self.start(p, days_ago=25)
        given_at = self.ago(hours=26)
        p.prepare(self.ago(days=5))
        p.inject(given_at)
        discharged = given_at + 280 * MINUTE
        p.observe(given_at, post_grade="1+", until=discharged)
        p.adverse_event(
            given_at + 172 * MINUTE,
            kind="headache",
            severity="mild",
            onset_at=given_at + 170 * MINUTE,
            action_taken="Paracetamol; lying flat; oral fluids.",
        )
        p.pain_medication(given_at + 180 * MINUTE, drug="Paracetamol", dose="1 g", route="oral")
        p.resolve(given_at + 230 * MINUTE, resolution="Settled within the hour.")
        p.discharge(discharged)

    def second_attempt(self, p: Track) -> None:
        """No response to 50 mcg two days ago; 75 mcg planned, allowed since yesterday."""
        self.start(p, days_ago=28)
        p.prepare(self.ago(days=7))
        self.non_responder(p, self.ago(days=2, hours=1), next_dose=75)

    def awaiting_close(self, p: Track) -> None:
        self.start(p, days_ago=35)
        given_at = self.ago(days=4, hours=2)
        p.prepare(self.ago(days=9))
        discharged = p.full_attempt(given_at, post_grade="1")
        p.decide(discharged + 20 * HOUR, responder=True)
        p.tick(discharged + 20 * HOUR + 10 * MINUTE, "follow_up", "appointment")

    def candidate(self, p: Track) -> None:
        """50 mcg judged non-responsive, 75 mcg responsive, closed as pump candidate."""
        self.start(p, days_ago=40)
        start = self.ago(days=12)
        p.prepare(start - 2 * HOUR)
        self.non_responder(p, start, next_dose=75)
        discharged = p.full_attempt(start + DAY + 5 * HOUR, post_grade="1+")
        p.decide(discharged + 18 * HOUR, responder=True)
        p.tick(discharged + 18 * HOUR + 5 * MINUTE, "follow_up", "appointment")
        p.close(
            discharged + 18 * HOUR + 15 * MINUTE,
            "pump_candidate",
            note="Refer for pump implant.",
            follow_up_days=14,
        )

    def not_candidate(self, p: Track) -> None:
        """No response to 50, 75 or 100 mcg, each given days apart."""
        self.start(p, days_ago=60)
        start = self.ago(days=24)
        p.prepare(start - 3 * DAY)
        self.non_responder(p, start, next_dose=75)
        self.non_responder(p, start + 3 * DAY, next_dose=100)
        discharged = p.full_attempt(start + 6 * DAY, post_grade="3")
        p.decide(discharged + 18 * HOUR, responder=False)
        self.follow_up_checks(p, discharged + 8 * DAY)
        p.close(
            discharged + 8 * DAY + 30 * MINUTE,
            "not_candidate",
            note="No change in tone at 50, 75 or 100 mcg. Continue oral therapy and "
            "physiotherapy; botulinum toxin for the adductors discussed.",
            follow_up_days=21,
        )

    def child(self, p: Track) -> None:
        """A small child starts at 25 mcg and responds to it."""
        self.start(p, days_ago=75)
        start = self.ago(days=45)
        p.tick_all(start - 2 * DAY, "preparation")
        p.baseline(start - 2 * DAY + 10 * MINUTE, grade="3", penn=(2, 2))
        p.sign_preparation(start - 2 * DAY + 30 * MINUTE, first_dose_mcg=25)
        discharged = p.full_attempt(start, post_grade="1+")
        p.decide(discharged + 18 * HOUR, responder=True)
        self.follow_up_checks(p, discharged + 10 * DAY)
        p.close(
            discharged + 10 * DAY + 30 * MINUTE,
            "pump_candidate",
            note="Refer for pump implant.",
            follow_up_days=14,
        )

    def withdrawn(self, p: Track) -> None:
        self.start(p, days_ago=90)
        start = self.ago(days=50)
        p.prepare(start - DAY)
        discharged = p.full_attempt(start, post_grade="3")
        p.decide(discharged + 18 * HOUR, responder=False)
        self.follow_up_checks(p, discharged + 3 * DAY - 30 * MINUTE)
        p.close(
            discharged + 3 * DAY,
            "withdrawn",
            note="Patient declined further test doses after the first; prefers to continue "
            "oral medication.",
            follow_up_days=10,
        )

    def cancelled(self, p: Track) -> None:
        self.start(p, days_ago=20)
        p.prepare(self.ago(days=4))
        day_of = self.ago(days=2, hours=2)
        p.tick(day_of, "day_of", "fasting", "medications")
        p.cancel(
            day_of + 40 * MINUTE,
            reason="Urinary tract infection found on the day of the dose (positive urine dip, "
            "temperature 38.1 °C). Re-refer once treated.",
        )
