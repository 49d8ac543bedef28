"""Shape an already-loaded trial for its pages. No queries happen here."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from trials import procedure
from trials.models import Assessment, ChecklistEntry, DoseAttempt
from trials.outcomes import curves
from trials.responder import Comparison
from trials.schedule import (
    Change,
    Schedule,
    assessment_changes,
    vitals_changes,
    vitals_schedule,
)
from trials.services.phase import decision_blockers, next_moves
from trials.services.snapshot import TrialSnapshot
from trials.services.timeline import Timeline
from trials.services.timeline import latest as latest_changes
from trials.services.timing import clinic_day


@dataclass
class ChecklistRow:
    item: procedure.Item
    entry: ChecklistEntry | None
    can_tick: bool
    # Where its form posts: untick when ticked, tick when not ("" when this user cannot tick).
    url: str = ""


@dataclass
class ChecklistView:
    checklist: procedure.Checklist
    attempt: DoseAttempt | None
    rows: list[ChecklistRow]
    editable: bool

    @property
    def done_count(self) -> int:
        return sum(1 for r in self.rows if r.entry)


ITEM = "item-key"  # stands in for an item's key in its URLs while they are reversed


def checklists(snap: TrialSnapshot, user) -> list[ChecklistView]:
    """The checklists of the current phase, with who ticked what."""
    views = []
    for key in procedure.PHASE_CHECKLISTS.get(snap.trial.status, ()):
        checklist = procedure.CHECKLISTS[key]
        attempt = snap.checklist_scope(key)
        entries = snap.entries_for(key, attempt)
        # Each item's form posts to the same two URLs but for the item's key (procedure.py's
        # own): each reversed once per checklist, not once per item.
        urls = {
            ticked: reverse(name, args=[snap.trial.pk, key, ITEM]).replace(ITEM, "{}")
            for ticked, name in ((True, "trials:untick"), (False, "trials:tick"))
        }
        rows = []
        for item in checklist.items:
            entry, can_tick = entries.get(item.key), user.role in item.roles
            url = urls[entry is not None].format(item.key) if can_tick else ""
            rows.append(ChecklistRow(item, entry, can_tick, url))
        views.append(ChecklistView(checklist, attempt, rows, editable=True))
    return views


def signed_checklists(snap: TrialSnapshot) -> list[ChecklistView]:
    """Every checklist already filled in, read-only, for the record."""
    views = []
    for key, checklist in procedure.CHECKLISTS.items():
        scopes = snap.attempts if checklist.per_attempt else [None]
        for attempt in scopes:
            entries = snap.entries_for(key, attempt)
            if not entries:
                continue
            rows = [ChecklistRow(i, entries.get(i.key), False) for i in checklist.items]
            views.append(ChecklistView(checklist, attempt, rows, editable=False))
    return views


@dataclass
class ScoreColumn:
    title: str
    subtitle: str
    assessment: Assessment
    attempt: DoseAttempt | None
    # Post-dose columns: the suggestion's own comparison with the baseline (trials/responder.py).
    comparison: Comparison | None = None


@dataclass
class ScoreTable:
    columns: list[ScoreColumn]
    rows: list[tuple[str, str, list[str]]]

    @property
    def _counts(self) -> set[int]:
        return {len(c.comparison.counted) for c in self.columns if c.comparison}

    @property
    def mean_groups_text(self) -> str:
        """The groups the mean row counts, with their number when every column counts as many."""
        counts = self._counts
        if len(counts) == 1 and (n := counts.pop()):
            return f"{n} group{'' if n == 1 else 's'} scored at both times"
        return "groups scored at both times"

    @property
    def mean_label(self) -> str:
        return f"Mean lower limb ({self.mean_groups_text})"

    @property
    def mean_cells(self) -> list[str]:
        """Per column: the paired means the suggestion compares, baseline → this time."""
        uniform = len(self._counts) == 1
        cells = []
        for c in self.columns:
            cmp = c.comparison
            if cmp is None:
                cells.append("")
            elif not cmp.counted:
                cells.append("– (no group scored at both times)")
            else:
                cells.append(
                    f"{cmp.baseline_mean} → {cmp.post_mean} (fall {cmp.fall})"
                    + ("" if uniform else f", {cmp.counted_text}")
                )
        return cells


def score_table(snap: TrialSnapshot) -> ScoreTable:
    """Baseline against each post-dose time, by muscle group and side, with the mean row of the
    responder suggestion (the same Comparison objects, so the two cannot disagree)."""
    columns = []
    if snap.baseline:
        columns.append(ScoreColumn("Baseline", "", snap.baseline, None))
    for attempt in snap.attempts:
        title = f"#{attempt.number} · {attempt.dose_mcg} mcg"
        for cmp in snap.suggestion(attempt).comparisons:
            columns.append(ScoreColumn(title, cmp.label, cmp.assessment, attempt, cmp))
    grades = [{(s.group, s.side): s.grade for s in c.assessment.scores.all()} for c in columns]
    rows = []
    for group in procedure.MUSCLE_GROUPS:
        for side, side_label in procedure.SIDES:
            cells = [g.get((group.key, side), "–") for g in grades]
            if any(c != "–" for c in cells):
                rows.append((group.label, side_label, cells))
    return ScoreTable(columns, rows)


@dataclass
class ObservationView:
    attempt: DoseAttempt
    vitals: Schedule
    assessments: Schedule


def observation(snap: TrialSnapshot, now=None) -> ObservationView | None:
    attempt = snap.attempt
    if attempt is None or not attempt.is_given:
        return None
    now = now or timezone.now()
    recorded = [v.recorded_at for v in snap.vitals_after_injection(attempt)]
    return ObservationView(
        attempt,
        vitals_schedule(attempt.given_at, snap.site.vitals_schedule, recorded, now),
        snap.assessment_plan(attempt, now),
    )


@dataclass
class NextMove:
    move: procedure.Move
    blockers: list[str]
    can: bool  # this user's role may make it

    @property
    def url_name(self) -> str:
        return self.move.url_name


def moves_for(snap: TrialSnapshot, user) -> list[NextMove]:
    return [NextMove(m, b, user.role in m.roles) for m, b in next_moves(snap)]


def can_flags(user) -> dict[str, bool]:
    """{action: may this user do it} for every action of procedure.ACTION_ROLES and move."""
    flags = {action: user.role in roles for action, roles in procedure.ACTION_ROLES.items()}
    flags |= {m.action: user.role in m.roles for m in procedure.MOVES}
    return flags


def vitals_baseline(snap: TrialSnapshot, attempt: DoseAttempt | None) -> dict:
    """The last set since the dose beside the pre-dose baseline ("vital signs stable")."""
    if attempt is None:
        return {}
    pre = snap.pre_dose_vitals(attempt)
    post = snap.vitals_after_injection(attempt)
    return {"baseline": pre[-1] if pre else None, "last": post[-1] if post else None}


def panel_context(snap: TrialSnapshot, user) -> dict:
    """What the phase panel and the record beside it show (trials/_phase_panel.html, also
    re-rendered alone after a tick)."""
    attempt = snap.attempt
    moves = moves_for(snap, user)
    blockers = decision_blockers(snap) if attempt else []
    shown = observation(snap) if snap.trial.status == procedure.Phase.OBSERVATION else None
    return {
        "trial": snap.trial,
        "snap": snap,
        "patient": snap.trial.patient,
        "attempt": attempt,
        "moves": moves,
        "decision_blockers": blockers,
        "vitals_compare": vitals_baseline(snap, attempt),
        # Built only when the panel is rendered: a panel kept for its key shows them without.
        "checklists": SimpleLazyObject(lambda: checklists(snap, user)),
        "observation": shown,
        "suggestion": snap.suggestion(attempt) if attempt and attempt.is_given else None,
        # Evaluated only by templates that show it: changes, not page views or sign-ins.
        "timeline": snap.timeline or timeline(snap.trial),
        "record_key": record_key(snap, user),
        "panel_key": panel_key(snap, user, moves, blockers, shown),
    }


def record_key(snap: TrialSnapshot, user) -> str:
    """What the parts of the page that show the record (not the time) depend on: the trial and
    its revision, the viewer's role (which links they are offered), the clinic's time zone and
    the people named, and the site's settings (the responder threshold, the schedules). "" for
    a writer's read: nothing rendered from it is kept."""
    if snap.writer:
        return ""
    trial = snap.trial
    zone = timezone.get_current_timezone_name()
    site = snap.site
    settings = repr([getattr(site, f.attname) for f in site._meta.concrete_fields])
    parts = f"{user.role}:{zone}:{settings}:{trial.people_named}"
    return f"{trial.pk}:{trial.revision}:{hashlib.sha256(parts.encode()).hexdigest()[:24]}"


def panel_key(
    snap: TrialSnapshot,
    user,
    moves: list[NextMove],
    blockers: list[str],
    shown: ObservationView | None,
) -> str:
    """What the phase panel depends on: the record (record_key) and what the clock decides in it
    now, as worked out for this view: the observation schedule (which slots are due, overdue or
    missed), what blocks each move (a discharge waits for the assessments due by now; the age
    checked on today's date) and the decision. "" for a writer's read."""
    key = record_key(snap, user)
    if not key:
        return ""
    slots = (shown.vitals.slots, shown.assessments.slots) if shown else None
    clock = repr((slots, [(m.move.action, m.blockers, m.can) for m in moves], blockers))
    return f"{key}:{hashlib.sha256(clock.encode()).hexdigest()[:24]}"


def panel_clock_until(snap: TrialSnapshot, since: datetime) -> datetime | None:
    """The first moment after `since` at which what the clock decides in the phase panel (the
    clock's part of panel_key, worked out at `since` or a little after) may differ from what it
    decided at `since`; None when nothing can (a closed trial). The clock reaches into the panel
    at moments the record fixes: the slots of the latest dose's observation schedules (shown,
    and what a discharge waits for) turn overdue and missed, and the patient's age, checked when
    preparation is signed, moves at the clinic's midnight."""
    if snap.trial.status in procedure.Phase.CLOSED:
        return None
    changes: list[Change] = []
    if (midnight := _next_clinic_day(snap.site.time_zone, since)) is not None:
        changes.append((midnight, True))
    attempt = snap.attempt
    if attempt is not None and attempt.given_at is not None:
        site = snap.site
        changes += vitals_changes(attempt.given_at, site.vitals_schedule)
        changes += assessment_changes(
            attempt.given_at, site.assessment_schedule, window=site.assessment_window_minutes
        )
    # A change just after `since` itself leaves `since` alone as it was decided.
    just_after = since + timedelta(microseconds=1)
    moments = [m for m, at in changes if m > since] + [
        just_after for m, at in changes if m == since and not at
    ]
    return min(moments, default=None)


def _next_clinic_day(zone_name: str, since: datetime) -> datetime | None:
    """When the clinic's next calendar day begins (the earlier reading of a midnight that a
    clock change makes twice or skips); None past the calendar's last day."""
    zone = ZoneInfo(zone_name)
    try:
        day = clinic_day(zone_name, since) + timedelta(days=1)
        starts = [datetime.combine(day, time(), tzinfo=zone).replace(fold=f) for f in (0, 1)]
        return min(start.astimezone(UTC) for start in starts)
    except OverflowError:
        return None


def trial_context(snap: TrialSnapshot, user) -> dict:
    """The whole trial page: the panel, the record of every attempt, the scores and curves.
    The record's parts are worked out only when rendered: a page kept for the record's revision
    (record_key) shows them without."""
    scores = SimpleLazyObject(lambda: score_table(snap))
    return panel_context(snap, user) | {
        "stepper": stepper(snap.trial.status),
        "history_checklists": SimpleLazyObject(lambda: signed_checklists(snap)),
        "scores": scores,
        # The response curves plot the scores table's own means (trials/outcomes/curves.py).
        "curves": SimpleLazyObject(lambda: curves.trial_curves(snap, scores)),
        "severe_events": [
            ae for a in snap.attempts for ae in a.adverse_events.all() if ae.is_severe
        ],
    }


def kept_page_context(page) -> dict:
    """The trial page rendered from its kept parts alone (a kept_page.Page): what it shows
    around them (the patient's name, the phase, the timeline) and their keys."""
    return {
        "trial": page.trial,
        "patient": page.trial.patient,
        "record_key": page.record_key,
        "panel_key": page.panel_key,
        "timeline": timeline(page.trial),
        "kept_only": True,
    }


def timeline(trial) -> Timeline:
    """The trial's latest changes, newest first, and whether there are older ones: read when
    rendered (trials/services/timeline.py)."""
    pk = trial.pk
    return SimpleLazyObject(lambda: latest_changes(pk))  # type: ignore[return-value]


def stepper(status: str) -> list[dict]:
    if status == procedure.Phase.CANCELLED:
        return [{"label": "Cancelled", "state": "cancelled"}]
    current = procedure.Phase.STEPPER.index(status)
    return [
        {
            "label": procedure.Phase.LABELS[phase],
            "state": "done" if i < current else "current" if i == current else "todo",
        }
        for i, phase in enumerate(procedure.Phase.STEPPER)
    ]
