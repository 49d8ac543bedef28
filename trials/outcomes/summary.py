"""The trial summary for the medical record: what the print page and the PDF both show.

`build(snap)` shapes an already-loaded TrialSnapshot (no queries) into sections of plain rows,
so the HTML page (templates/outcomes/summary.html) and the PDF (summary_pdf.py) cannot drift
apart. Times are shown in the clinic's zone (activated per request by the middleware).

`load(trial)` is what the pages call: the record, and when it last changed ("Record as of …").
The summary names no reader and no time of reading: who downloaded or printed it, and when, is in
the audit trail (the export and view rows the views write), so the same record is the same
document for every reader, and the PDF of it can be cached (summary_pdf.py).
"""

from dataclasses import dataclass, field
from datetime import datetime

from audit.models import AuditEvent
from core import moments
from trials import presenters, procedure
from trials.late import entry_note, resolution_note
from trials.models import SiteSettings, Trial
from trials.services.amendments import current_values
from trials.services.snapshot import TrialSnapshot

from . import curves as response_curves
from .billing import AttemptBilling, trial_billing


def when(moment) -> str:
    return moments.shown(moment)


def day(value) -> str:
    return value.isoformat() if value else "–"


def marked(text: str, *notes: str) -> str:
    """`text` with its late-entry (or exception) notes beside it."""
    return " · ".join(part for part in (text, *notes) if part)


def discharge_text(a, note: str) -> str:
    """When and by whom the patient was discharged, late mark and signed exception included."""
    by = f" by {a.discharged_by.printed_name}" if a.discharged_by else ""
    exception = (
        f"signed exception: discharged before the criteria were met – {a.discharge_exception}"
        if a.discharge_exception
        else ""
    )
    text = when(a.discharged_at) + by + (f" – {note}" if note else "")
    return marked(text, entry_note(a, "discharge"), exception)


def worn_off_text(a) -> str:
    """When and by whom the effect was recorded as worn off, late mark included."""
    if a.effect_worn_off_at is None:
        return "not recorded"
    by = f" by {a.effect_worn_off_by.printed_name}" if a.effect_worn_off_by else ""
    return marked(when(a.effect_worn_off_at) + by, entry_note(a, "worn_off"))


def goal_outcomes(a) -> list[tuple[str, str]]:
    """Each treatment goal as marked with the decision: met, partly met or not met."""
    marks = dict(procedure.GOAL_OUTCOMES)
    return [
        (f"Goal: {goal}", marks.get(mark, mark).lower()) for goal, mark in a.goal_outcomes.items()
    ]


def yes_no(value) -> str:
    return {True: "yes", False: "no"}.get(value, "–")


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class AttemptSummary:
    number: int
    dose_mcg: int
    title: str
    facts: list[tuple[str, str]]
    vitals: Table
    adverse_events: Table
    decision: list[tuple[str, str]]
    pain_medication: Table | None = None


@dataclass
class Summary:
    title: str
    patient: list[tuple[str, str]]
    indication: list[tuple[str, str]]
    preparation: Table
    preparation_signed: str
    attempts: list[AttemptSummary]
    mas: Table
    penn: Table
    outcome: list[tuple[str, str]]
    signatures: Table
    billing: list[AttemptBilling]
    # When the record last changed (`last_change`), shown; empty when it is not known.
    as_of: str = ""
    # Corrections of signed records: the facts above show the amended values, this the history.
    amendments: Table | None = None
    # Per given attempt: the MAS and vital-sign curves with their tables (curves.py).
    curves: list[response_curves.AttemptCurves] = field(default_factory=list)
    # Each severe or life-threatening adverse event, in words: the flag on every page.
    severe_events: list[str] = field(default_factory=list)
    # Name, MRN and date of birth: the PDF prints them on every page.
    identity: str = ""


def _patient(trial) -> list[tuple[str, str]]:
    p = trial.patient
    return [
        ("Patient", f"{p.last_name}, {p.first_name}"),
        ("MRN", p.mrn),
        ("Born", f"{day(p.date_of_birth)} (age {p.age_on(trial.referred_on)} at referral)"),
        ("Sex", p.get_sex_display()),
        ("Weight", f"{p.weight_kg} kg"),
        (
            "Diagnosis",
            p.get_diagnosis_display() + (f" – {p.diagnosis_detail}" if p.diagnosis_detail else ""),
        ),
        ("Allergies", p.allergies or "not recorded"),
        ("Anticoagulants / antiplatelets", p.anticoagulants or "none recorded"),
        ("Oral antispasmodics", p.oral_antispasmodics or "none recorded"),
    ]


def _preparation(snap: TrialSnapshot) -> Table:
    entries = snap.entries_for("preparation", None)
    rows = []
    for item in procedure.PREPARATION.items:
        entry = entries.get(item.key)
        if entry is None:
            rows.append([item.label, "not done", "", ""])
        elif entry.state == "na":
            rows.append(
                [
                    item.label,
                    marked(f"not applicable: {entry.na_reason}", entry_note(entry)),
                    entry.by.printed_name,
                    when(entry.at),
                ]
            )
        else:
            rows.append(
                [
                    item.label,
                    marked("done" + (f" – {entry.note}" if entry.note else ""), entry_note(entry)),
                    entry.by.printed_name,
                    when(entry.at),
                ]
            )
    return Table(["Item", "State", "By", "When"], rows)


def _signed(sig) -> str:
    if sig is None:
        return "not signed"
    return f"{sig.printed_name} ({sig.signer_role}), {when(sig.signed_at)} – {sig.statement}"


AMENDED_MARK = " (amended; see Amendments)"


def _facts(a) -> list[tuple[str, str]]:
    """The injection and discharge as they stand: amended values, marked as amended."""
    signed = {
        name: getattr(a, name) for record in procedure.AMENDABLE_FIELDS.values() for name in record
    }
    cur = current_values(signed, a.amendments.all())

    def fact(label: str, text: str, *names: str) -> tuple[str, str]:
        return label, text + (AMENDED_MARK if any(cur[n].amendment for n in names) else "")

    v = {name: c.display for name, c in cur.items()}
    needle = " ".join(
        x for x in (v["needle_type"], f"{v['needle_gauge']} G" if v["needle_gauge"] else "") if x
    )
    return [
        ("Dose", f"{a.dose_mcg} mcg"),
        fact(
            "Time given",
            marked(
                when(a.given_at)
                + (f" over {v['duration_seconds']} s" if v["duration_seconds"] else ""),
                entry_note(a, "given"),
            ),
            "duration_seconds",
        ),
        ("Physician", a.performed_by.printed_name if a.performed_by else "–"),
        fact("Assisting nurse", v["assisting_nurse"] or "–", "assisting_nurse"),
        fact("Spinal level", v["spinal_level"] or "–", "spinal_level"),
        fact(
            "Needle",
            (needle or "–")
            + (f", {v['passes']} pass(es)" if v["passes"] else "")
            + (f", clear CSF: {v['clear_csf']}" if v["clear_csf"] else ""),
            "needle_type", "needle_gauge", "passes", "clear_csf",
        ),
        fact(
            "Image guidance",
            (v["image_guidance"] or "–") + (f" ({v['radiologist']})" if v["radiologist"] else ""),
            "image_guidance", "radiologist",
        ),
        fact(
            "Product",
            (v["product"] or "–")
            + (f", {v['concentration_mcg_ml']} mcg/mL" if v["concentration_mcg_ml"] else "")
            + (f", lot {v['lot']}, expiry {v['expiry']}" if v["lot"] else ""),
            "product", "concentration_mcg_ml", "lot", "expiry",
        ),
        fact(
            "Discarded",
            f"{v['discarded_mcg']} mcg" if v["discarded_mcg"] else "not recorded",
            "discarded_mcg",
        ),
        ("Effect worn off", worn_off_text(a)),
        fact("Discharged", discharge_text(a, v["discharge_note"]), "discharge_note"),
    ]  # fmt: skip


def _attempt(snap: TrialSnapshot, a) -> AttemptSummary:
    facts = _facts(a)
    vitals = Table(
        ["Time", "HR", "BP", "RR", "SpO₂", "T °C", "Sedation", "Pain", "Headache", "By", "Note"],
        [
            [
                ("Baseline (pre-dose) " if v.pre_dose else "") + when(v.recorded_at),
                str(v.heart_rate),
                v.blood_pressure,
                str(v.respiratory_rate),
                str(v.spo2),
                str(v.temperature_c),
                str(v.sedation),
                str(v.pain),
                yes_no(v.headache),
                v.recorded_by.printed_name,
                marked(v.note, entry_note(v)),
            ]
            for v in a.vitals.all()
        ],
    )
    events = Table(
        ["Event", "Severity", "Onset", "Action taken", "Resolved", "Entry"],
        [
            [
                e.get_kind_display(),
                e.get_severity_display(),
                when(e.onset_at),
                e.action_taken or "–",
                (when(e.resolved_at) + (f": {e.resolution}" if e.resolution else ""))
                if e.resolved_at
                else "not resolved",
                marked(e.recorded_by.printed_name, entry_note(e), resolution_note(e)),
            ]
            for e in a.adverse_events.all()
        ],
    )
    decision = []
    if a.given_at is not None:
        decision.append(("Suggestion", snap.suggestion(a).text))
    if a.is_decided:
        decision += [
            ("Decision", "Responder" if a.responder else "Not a responder"),
            (
                "Decided by",
                marked(
                    f"{a.decided_by.printed_name}, {when(a.decided_at)}", entry_note(a, "decision")
                ),
            ),
        ]
        if a.decision_reason:
            decision.append(("Reason", a.decision_reason))
        decision += goal_outcomes(a)
    elif a.given_at is not None:
        decision.append(("Decision", "not decided yet"))
    title = f"Attempt {a.number} · {a.dose_mcg} mcg" + (
        "" if a.given_at else " (planned, not given)"
    )
    medication = Table(
        ["Given", "Drug", "Dose", "Route", "By"],
        [
            [
                when(m.given_at),
                m.drug,
                m.dose,
                m.route,
                marked(m.given_by.printed_name, entry_note(m)),
            ]
            for m in a.pain_medications.all()
        ],
    )
    return AttemptSummary(
        a.number, a.dose_mcg, title, facts, vitals, events, decision, pain_medication=medication
    )


def _assessed(assessment) -> str:
    by = assessment.assessed_by.printed_name
    return marked(f"{when(assessment.assessed_at)} by {by}", entry_note(assessment))


def _scores(snap: TrialSnapshot) -> tuple[Table, Table]:
    table = presenters.score_table(snap)
    headers = ["Muscle group"] + [f"{c.title} {c.subtitle}".strip() for c in table.columns]
    rows = [[f"{label} ({side.lower()})", *cells] for label, side, cells in table.rows]
    if table.columns:
        rows.append([table.mean_label, *table.mean_cells])
        rows.append(["Assessed", *(_assessed(c.assessment) for c in table.columns)])
    penn = Table(
        ["Assessment", "Assessed", "Penn frequency", "Penn severity"],
        [
            [
                f"{c.title} {c.subtitle}".strip(),
                _assessed(c.assessment),
                c.assessment.get_penn_frequency_display(),
                c.assessment.get_penn_severity_display() or "– (no spasms)",
            ]
            for c in table.columns
        ],
    )
    return Table(headers, rows), penn


def _outcome(snap: TrialSnapshot) -> list[tuple[str, str]]:
    trial = snap.trial
    rows = [("Status", trial.phase_label)]
    if trial.outcome:
        rows.append(("Outcome", trial.get_outcome_display()))
        last = snap.attempt
        if trial.outcome == "pump_candidate" and last is not None:
            rows.append(
                (
                    "Suggested starting pump dose",
                    f"{last.pump_daily_dose_mcg} mcg/day (2 × {last.dose_mcg} mcg over 24 h)",
                )
            )
    if trial.outcome_note:
        rows.append(("Note", trial.outcome_note))
    if trial.cancel_reason:
        rows.append(("Cancelled because", trial.cancel_reason))
    rows += [("Closed", when(trial.closed_at)), ("Follow-up", day(trial.follow_up_on))]
    return rows


def severe_events(snap: TrialSnapshot) -> list[str]:
    return [
        f"{e.get_severity_display()}: {e.get_kind_display()} (attempt {a.number}), onset "
        f"{when(e.onset_at)} – "
        + (f"resolved {when(e.resolved_at)}" if e.resolved_at else "not resolved")
        for a in snap.attempts
        for e in a.adverse_events.all()
        if e.is_severe
    ]


def last_change(trial: Trial) -> datetime | None:
    """When the trial's record last changed: its newest audit row recording a change (every
    change writes one in its own transaction), the patient's details included. Not a view or
    an export: reading the record changes nothing."""
    return AuditEvent.objects.last_record_change(trial_id=trial.pk, patient_id=trial.patient_id)


def load(trial: Trial, site: SiteSettings | None = None) -> Summary:
    """The summary of the trial as it stands. The time of the last change is read first, so a
    change made meanwhile is shown in a record that names an earlier time, never the reverse:
    the record is never older than the time it names."""
    as_of = last_change(trial)
    return build(TrialSnapshot.load(trial.pk, site=site), as_of=as_of)


def build(snap: TrialSnapshot, *, as_of: datetime | None = None) -> Summary:
    trial = snap.trial
    numbers = {a.pk: a.number for a in snap.attempts}
    signatures = Table(
        ["Signed", "Name", "Role", "Meaning", "Statement", "Attempt"],
        [
            [
                when(s.signed_at),
                s.printed_name,
                s.signer_role,
                s.meaning,
                s.statement,
                str(numbers.get(s.attempt_id, "–")),
            ]
            for s in snap.signatures
        ],
    )
    amendments = Table(
        ["Amended", "Attempt", "Field", "As it stood", "Amended to", "By", "Reason"],
        [
            [when(m.amended_at), str(a.number), m.field_label, m.old_display or "–",
             m.new_display or "–", f"{m.printed_name} ({m.signer_role}), {m.meaning}", m.reason]
            for a in snap.attempts
            for m in a.amendments.all()
        ],
    )  # fmt: skip
    mas_table, penn = _scores(snap)
    return Summary(
        title=f"ITB trial #{trial.pk} – {trial.patient.full_name}",
        patient=_patient(trial),
        indication=[
            (
                "Referred",
                f"{day(trial.referred_on)}"
                + (f" by {trial.referred_by}" if trial.referred_by else ""),
            ),
            ("Indication", trial.indication or "–"),
            ("Treatment goals", trial.goals or "–"),
        ],
        preparation=_preparation(snap),
        preparation_signed=_signed(snap.signature("preparation")),
        attempts=[_attempt(snap, a) for a in snap.attempts],
        mas=mas_table,
        penn=penn,
        outcome=_outcome(snap),
        signatures=signatures,
        billing=trial_billing(snap.attempts),
        amendments=amendments,
        curves=response_curves.trial_curves(snap, presenters.score_table(snap)),
        severe_events=severe_events(snap),
        identity=f"{trial.patient.last_name}, {trial.patient.first_name} · MRN "
        f"{trial.patient.mrn} · born {day(trial.patient.date_of_birth)}",
        as_of=when(as_of) if as_of else "",
    )
