"""Each dashboard figure as a chart, a table of the same numbers, and links to the trials behind
every count. No queries happen here: the numbers come from figures.Figures."""

from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from patients.models import Diagnosis
from trials import procedure
from trials.procedure import Phase

from .charts import Bar, Segment, Stack, bar_chart, stacked_chart
from .figures import Figures
from .filters import drill_url


@dataclass
class Cell:
    text: str
    url: str = ""
    header: bool = False


@dataclass
class Panel:
    key: str
    title: str
    caption: str
    chart: SafeString
    headers: list[str]
    rows: list[list[Cell]]
    headline: str = ""
    notes: list[str] = field(default_factory=list)
    totals: list[list[Cell]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)
    wide: bool = False  # table under the chart: too many columns to stand beside it


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def _share(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


DIAGNOSES = dict(Diagnosis.choices)
OUTCOMES = dict(procedure.OUTCOME_CHOICES)
OUTCOME_SHORT = {
    "pump_candidate": "Pump candidate",
    "not_candidate": "Not a candidate",
    "withdrawn": "Withdrawn",
}


def phases(fig: Figures, filters: dict) -> Panel:
    rows, bars = [], []
    for code, label in Phase.CHOICES:
        n = fig.by_phase[code]
        url = drill_url(filters, phase=code)
        bars.append(Bar(label, n, str(n), "bar-muted" if code == Phase.CANCELLED else "bar", url))
        rows.append([Cell(label, header=True), Cell(str(n), url), Cell(pct(n, fig.total))])
    total = [Cell("All trials", header=True), Cell(str(fig.total), drill_url(filters)), Cell("")]
    return Panel(
        "phases",
        "Trials by phase",
        "Where each filtered trial stands now.",
        bar_chart(bars, title="Trials by phase"),
        ["Phase", "Trials", "Share"],
        rows,
        totals=[total],
    )


def completed(fig: Figures, filters: dict) -> Panel:
    done = fig.completed
    rows, bars = [], []
    for code, label in OUTCOME_SHORT.items():
        n = fig.completed_by_outcome.get(code, 0)
        url = drill_url(filters | {"outcome": code}, phase=Phase.COMPLETED)
        css = "bar-good" if code == "pump_candidate" else "bar-muted"
        bars.append(Bar(label, n, f"{n} ({pct(n, done)})", css, url))
        rows.append([Cell(OUTCOMES[code], header=True), Cell(str(n), url), Cell(pct(n, done))])
    total = [
        Cell("Completed", header=True),
        Cell(str(done), drill_url(filters, phase="completed")),
        Cell(pct(done, fig.total) + " of all"),
    ]
    pump = fig.completed_by_outcome.get("pump_candidate", 0)
    return Panel(
        "completed",
        "Completed trials and their outcome",
        "Share of completed trials ending as pump candidate, not a candidate or withdrawn.",
        bar_chart(bars, title="Completed trials by outcome"),
        ["Outcome", "Trials", "Share"],
        rows,
        headline=f"{pct(pump, done)} of {done} completed trials ended as pump candidate.",
        totals=[total],
    )


def responders(fig: Figures, filters: dict) -> Panel:
    rows, bars = [], []
    entries = [("", "All diagnoses", fig.decided, fig.responder_count)] + [
        (code, label, *fig.responders[code])
        for code, label in Diagnosis.choices
        if code in fig.responders
    ]
    for code, label, decided, hits in entries:
        scope = filters | ({"diagnosis": code} if code else {})
        url_decided = drill_url(scope, decided=1)
        url_hits = drill_url(scope, responder=1)
        css = "bar" if code else "bar-good"
        bars.append(Bar(label, _share(hits, decided), pct(hits, decided), css, url_hits))
        rows.append(
            [
                Cell(label, header=True),
                Cell(str(decided), url_decided),
                Cell(str(hits), url_hits),
                Cell(pct(hits, decided)),
            ]
        )
    return Panel(
        "responders",
        "Responder rate, overall and by diagnosis",
        "Responders: trials with any dose decided effective by the neurologist. Denominator: "
        "trials with at least one decided dose.",
        bar_chart(bars, title="Responder rate by diagnosis (%)"),
        ["Diagnosis", "Decided trials", "Responders", "Rate"],
        rows[1:],
        totals=rows[:1],
    )


def response_dose(fig: Figures, filters: dict) -> Panel:
    total = sum(fig.response_dose.values())
    rows, bars = [], []
    for dose, n in sorted(fig.response_dose.items()):
        url = drill_url(filters, response_dose=dose)
        bars.append(Bar(f"{dose} mcg", n, str(n), "bar", url))
        rows.append([Cell(f"{dose} mcg", header=True), Cell(str(n), url), Cell(pct(n, total))])
    return Panel(
        "dose",
        "Dose at which responders responded",
        "The dose of each responder's first attempt decided effective.",
        bar_chart(bars, title="Responders by effective dose"),
        ["Dose", "Responders", "Share"],
        rows,
    )


def attempts(fig: Figures, filters: dict) -> Panel:
    rows, bars = [], []
    for n, trials in fig.attempts_per_trial.items():
        url = drill_url(filters, attempts=n)
        label = f"{n} dose{'s' if n != 1 else ''}"
        bars.append(Bar(label, trials, str(trials), "bar-muted" if n == 0 else "bar", url))
        rows.append(
            [Cell(label, header=True), Cell(str(trials), url), Cell(pct(trials, fig.total))]
        )
    return Panel(
        "attempts",
        "Doses given per trial",
        f"Dose attempts given per trial (at most {procedure.MAX_ATTEMPTS}); 0 = not injected yet "
        "or cancelled before a dose.",
        bar_chart(bars, title="Trials by number of doses given"),
        ["Doses given", "Trials", "Share"],
        rows,
    )


def adverse_events(fig: Figures, filters: dict) -> Panel:
    given = fig.given_attempts
    severities = procedure.AE_SEVERITIES
    headers = ["Event", *(label for _, label in severities), "Total", "Per 100 doses"]
    rows, stacks = [], []
    for kind, label in procedure.AE_TYPES:
        counts = [fig.adverse_events.get((kind, sev), 0) for sev, _ in severities]
        total = sum(counts)
        if not total:
            continue
        cells = [Cell(label, header=True)]
        for (sev, _label), n in zip(severities, counts, strict=True):
            url = drill_url(filters, ae_kind=kind, ae_severity=sev) if n else ""
            cells.append(Cell(str(n), url))
        rate = f"{100 * total / given:.1f}" if given else "–"
        cells += [Cell(str(total), drill_url(filters, ae_kind=kind)), Cell(rate)]
        rows.append(cells)
        segments = [
            Segment(n, f"sev-{sev}", f"{sev_label}: {n}")
            for (sev, sev_label), n in zip(severities, counts, strict=True)
        ]
        stacks.append(Stack(label, segments, f"{rate} / 100", drill_url(filters, ae_kind=kind)))
    all_events = sum(fig.adverse_events.values())
    total = [
        Cell("All events", header=True),
        *(
            Cell(
                str(sum(fig.adverse_events.get((k, sev), 0) for k, _ in procedure.AE_TYPES)),
                drill_url(filters, ae_severity=sev),
            )
            for sev, _ in severities
        ),
        Cell(str(all_events)),
        Cell(f"{100 * all_events / given:.1f}" if given else "–"),
    ]
    return Panel(
        "adverse-events",
        "Adverse events by type and severity",
        "Events recorded during observation, as a rate per 100 doses given. A count links to the "
        "trials with such an event.",
        stacked_chart(stacks, title="Adverse events per 100 doses, by severity"),
        headers,
        rows,
        headline=f"{all_events} events over {given} doses given.",
        notes=[] if stacks else ["No adverse events recorded in these trials."],
        totals=[total],
        legend=[(f"sev-{sev}", label) for sev, label in severities],
        wide=True,
    )


def days(fig: Figures, filters: dict) -> Panel:
    entries = [
        ("Referral → first injection", fig.to_first_injection, drill_url(filters, injected=1)),
        (
            "Referral → decision",
            fig.to_decision,
            drill_url(filters, phase=Phase.COMPLETED, decided=1),
        ),
    ]
    rows, bars = [], []
    for label, median, url in entries:
        value = "–" if median.days is None else f"{median.days} days"
        bars.append(Bar(label, float(median.days or 0), value, "bar", url))
        rows.append([Cell(label, header=True), Cell(str(median.trials), url), Cell(value)])
    return Panel(
        "days",
        "Median days from referral",
        "To the first dose given (trials with a dose given) and to the last responder decision "
        "(completed trials with a decision). Days counted on the clinic's calendar.",
        bar_chart(bars, title="Median days from referral"),
        ["Interval", "Trials", "Median"],
        rows,
    )


def mas_change(fig: Figures, filters: dict) -> Panel:
    rows, bars = [], []
    for code, label in Diagnosis.choices:
        if code not in fig.mas_change:
            continue
        n, change = fig.mas_change[code]
        url = drill_url(filters | {"diagnosis": code}, mas=1)
        bars.append(Bar(label, float(change), f"{change:+.2f}", "bar-good", url))
        rows.append([Cell(label, header=True), Cell(str(n), url), Cell(f"{change:+.2f}")])
    return Panel(
        "mas",
        "Change in lower-limb Modified Ashworth, baseline to best post-dose",
        "Mean over trials of (best post-dose mean − baseline mean), lower-limb groups scored at "
        "both times; 1+ counts as 1.5. Negative = less spasticity.",
        bar_chart(bars, title="Mean change in lower-limb MAS by diagnosis"),
        ["Diagnosis", "Trials compared", "Mean change"],
        rows,
        notes=[] if rows else ["No trial has a lower-limb score at baseline and after a dose."],
    )


def all_panels(fig: Figures, filters: dict) -> list[Panel]:
    builders = (
        phases,
        completed,
        responders,
        response_dose,
        attempts,
        adverse_events,
        days,
        mas_change,
    )
    return [build(fig, filters) for build in builders]
