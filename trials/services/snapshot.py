"""A read of one trial with everything the protocol checks need, already fetched."""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.utils import timezone

from audit.models import AuditEvent
from core.errors import ProtocolError
from core.writes import Write
from trials import procedure
from trials.models import Assessment, ChecklistEntry, DoseAttempt, Signature, SiteSettings, Trial
from trials.responder import Suggestion, suggest
from trials.schedule import Schedule, Slot, attempt_assessment_schedule
from trials.services.record_cache import keep_after_write, load_record
from trials.services.timeline import Timeline, of_rows
from trials.services.timeline import statement as timeline_statement


@dataclass
class TrialSnapshot:
    trial: Trial
    site: SiteSettings
    # Read by a writer, under the trial's lock: what is rendered from it is never kept.
    writer: bool = False
    _suggestions: dict[int, Suggestion] = field(default_factory=dict, init=False, repr=False)
    # The trial's latest changes read with its lock (load's `with_timeline`), and the audit rows
    # this writer wrote since (`audited`): the timeline as the write leaves it (`timeline`).
    _timeline_rows: list[tuple] | None = field(default=None, init=False, repr=False)
    _audited: list[AuditEvent] = field(default_factory=list, init=False, repr=False)

    @classmethod
    def load(
        cls,
        trial_id: int,
        site: SiteSettings | None = None,
        *,
        lock: bool = False,
        with_timeline: bool = False,
    ) -> "TrialSnapshot":
        """Read the trial and everything of it the protocol checks need (for_detail), from the
        copy of its current revision where this process has one (record_cache). `lock`: lock
        the trial's row for this transaction first (the trial row only). `with_timeline`: also
        read the trial's latest changes, with the revision (trials/services/timeline.py)."""
        also = timeline_statement(int(trial_id)) if with_timeline else None
        trial, rows = load_record(trial_id, lock=lock, also=also)
        snap = cls(trial, site or SiteSettings.current(), writer=lock)
        snap._timeline_rows = rows
        # What with_severe_flag() annotates, from the adverse events just read.
        snap.trial.has_severe_ae = snap.has_severe_ae  # type: ignore[attr-defined]
        return snap

    @classmethod
    def of_row(cls, trial: Trial, site: SiteSettings) -> "TrialSnapshot":
        """A snapshot of a home's row (Trial.with_worklist_row): its attempts and assessments
        read as plain lists (`attempt_rows`, `assessment_rows`), which a process keeps cheaply
        (trials/services/kept_rows.py); no other part of the record."""
        snap = cls(trial, site)
        rows = trial.__dict__  # the lists with_worklist_row prefetched (to_attr)
        snap.__dict__.update(attempts=rows["attempt_rows"], assessments=rows["assessment_rows"])
        return snap

    def audited(self, event: AuditEvent) -> None:
        """This writer wrote this audit row about the trial (after its read of the timeline)."""
        self._audited.append(event)

    @property
    def timeline(self) -> Timeline | None:
        """The trial's latest changes as this writer's changes leave them, when they were read
        with its lock (None otherwise: read them when shown, presenters.timeline)."""
        if self._timeline_rows is None:
            return None
        return of_rows(self._timeline_rows, self._audited)

    def written(
        self, *changed: str, known: dict[str, list] | None = None, write: Write | None = None
    ) -> None:
        """This writer changed only those parts of the record (for_detail's prefetches): read
        them again (or take them from `known`, as the writer holds them), so the snapshot shows
        the record as the write left it, and keep that record for the revision the write gave
        it (record_cache.keep_after_write; `write`: the write, made there with the step)."""
        keep_after_write(self.trial, *changed, known=known, write=write)
        for name in changed:
            self.__dict__.pop(name, None)  # the cached_property of the same name

    @cached_property
    def attempts(self) -> list[DoseAttempt]:
        return list(self.trial.attempts.all())

    @property
    def attempt(self) -> DoseAttempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def current_attempt(self) -> DoseAttempt:
        """The latest attempt, for the actions of the phases that have one (the first is
        planned when preparation is signed)."""
        if not self.attempts:
            raise ProtocolError("No dose has been planned for this trial yet.")
        return self.attempts[-1]

    @cached_property
    def entries(self) -> list[ChecklistEntry]:
        return list(self.trial.entries.all())

    def entries_with(self, added: ChecklistEntry) -> list[ChecklistEntry]:
        """The entries once `added` is stored, in for_detail's order (ChecklistEntry.Meta)."""
        return sorted([*self.entries, added], key=lambda e: e.at)

    def entries_without(self, removed: ChecklistEntry) -> list[ChecklistEntry]:
        return [e for e in self.entries if e.pk != removed.pk]

    def entries_for(self, checklist: str, attempt: DoseAttempt | None) -> dict[str, ChecklistEntry]:
        attempt_id = attempt.pk if attempt is not None else None
        return {
            e.item: e
            for e in self.entries
            if e.checklist == checklist and e.attempt_id == attempt_id
        }

    def checklist_scope(self, checklist_key: str) -> DoseAttempt | None:
        """Per-attempt lists belong to the current attempt; others to the trial."""
        return self.attempt if procedure.CHECKLISTS[checklist_key].per_attempt else None

    def open_required(self, checklist_key: str) -> list[procedure.Item]:
        checklist = procedure.CHECKLISTS[checklist_key]
        done = self.entries_for(checklist_key, self.checklist_scope(checklist_key))
        return [item for item in checklist.items if item.required and item.key not in done]

    @cached_property
    def assessments(self) -> list[Assessment]:
        return list(self.trial.assessments.all())

    @property
    def baseline(self) -> Assessment | None:
        return next((a for a in self.assessments if a.attempt_id is None), None)

    def post_dose(self, attempt: DoseAttempt) -> list[Assessment]:
        found = [a for a in self.assessments if a.attempt_id == attempt.pk]
        # minutes_after is set on every post-dose row (a CheckConstraint); 0 satisfies mypy.
        return sorted(found, key=lambda a: a.minutes_after or 0)

    @cached_property
    def signatures(self) -> list[Signature]:
        return list(self.trial.signatures.all())

    def signature(self, kind: str, attempt: DoseAttempt | None = None) -> Signature | None:
        attempt_id = attempt.pk if attempt is not None else None
        return next(
            (s for s in self.signatures if s.kind == kind and s.attempt_id == attempt_id), None
        )

    def suggestion(self, attempt: DoseAttempt) -> Suggestion:
        """The responder suggestion for the attempt, computed once per snapshot (the scores
        table, the curves and the decision all show it)."""
        if attempt.pk not in self._suggestions:
            base = self.baseline
            self._suggestions[attempt.pk] = suggest(
                base.scores.all() if base else [],
                self.post_dose(attempt),
                self.site.responder_threshold,
            )
        return self._suggestions[attempt.pk]

    @property
    def has_severe_ae(self) -> bool:
        return any(ae.is_severe for a in self.attempts for ae in a.adverse_events.all())

    def vitals_after_injection(self, attempt: DoseAttempt) -> list:
        if attempt.given_at is None:
            return []
        return [
            v for v in attempt.vitals.all() if not v.pre_dose and v.recorded_at >= attempt.given_at
        ]

    def pre_dose_vitals(self, attempt: DoseAttempt) -> list:
        return [v for v in attempt.vitals.all() if v.pre_dose]

    def assessment_plan(self, attempt: DoseAttempt, now: datetime | None = None) -> Schedule:
        return attempt_assessment_schedule(
            attempt, self.post_dose(attempt), self.site, now or timezone.now()
        )

    def missing_for_discharge(
        self, attempt: DoseAttempt, now: datetime | None = None
    ) -> list[Slot]:
        """The required post-dose assessments (site setting) not recorded in their windows."""
        required = set(self.site.discharge_assessments)
        return [
            s
            for s in self.assessment_plan(attempt, now).slots
            if s.minutes in required and not s.done
        ]

    def unresolved_severe(self) -> list:
        """Severe or life-threatening adverse events of any attempt not yet resolved."""
        return [
            ae
            for a in self.attempts
            for ae in a.adverse_events.all()
            if ae.is_severe and ae.resolved_at is None
        ]

    def given_attempts(self) -> list[DoseAttempt]:
        return [a for a in self.attempts if a.is_given]
