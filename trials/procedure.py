"""The ITB trial procedure as declared data.

Everything a clinician would review lives here: the checklists of each phase with who may tick
each item, the dose ladder, the spasticity scales, the adverse event types and the allowed moves
between phases. Sources: ../shared/procedure/ (HCPCS J0476) and ../shared/DOMAIN.md. The code
that ticks, gates and signs is generic over these declarations.
"""

from dataclasses import dataclass
from decimal import Decimal

from accounts import roles
from accounts.roles import ADMIN, NEUROLOGIST, NURSE


class Phase:
    PREPARATION = "preparation"
    INJECTION = "injection"
    OBSERVATION = "observation"
    FOLLOW_UP = "follow_up"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    CHOICES = [
        (PREPARATION, "Preparation"),
        (INJECTION, "Injection"),
        (OBSERVATION, "Observation"),
        (FOLLOW_UP, "Follow-up"),
        (COMPLETED, "Completed"),
        (CANCELLED, "Cancelled"),
    ]
    STEPPER = [PREPARATION, INJECTION, OBSERVATION, FOLLOW_UP, COMPLETED]
    OPEN = [PREPARATION, INJECTION, OBSERVATION, FOLLOW_UP]
    CLOSED = [COMPLETED, CANCELLED]
    LABELS = dict(CHOICES)


@dataclass(frozen=True)
class Move:
    """An allowed change of phase: which action makes it and which roles may make it."""

    action: str
    source: str
    target: str
    roles: frozenset[str]
    label: str
    url_name: str


# The only allowed moves between phases, read as a table. Anything not listed is refused.
MOVES: tuple[Move, ...] = (
    Move("sign_preparation", Phase.PREPARATION, Phase.INJECTION, frozenset({NEUROLOGIST}),
         "Sign preparation complete", "trials:sign_preparation"),
    Move("sign_injection", Phase.INJECTION, Phase.OBSERVATION, frozenset({NEUROLOGIST}),
         "Sign the injection", "trials:injection"),
    Move("discharge", Phase.OBSERVATION, Phase.FOLLOW_UP, frozenset({NURSE}),
         "Sign the discharge", "trials:discharge"),
    # Leaving before the criteria are met (against advice, transfer): the physician's signed
    # exception with its reason, never a silent one (DOMAIN §3).
    Move("discharge_exception", Phase.OBSERVATION, Phase.FOLLOW_UP, frozenset({NEUROLOGIST}),
         "Discharge as a signed exception", "trials:discharge_exception"),
    Move("plan_next_attempt", Phase.FOLLOW_UP, Phase.INJECTION, frozenset({NEUROLOGIST}),
         "Plan the next attempt", "trials:plan_next"),
    Move("close", Phase.FOLLOW_UP, Phase.COMPLETED, frozenset({NEUROLOGIST}),
         "Close the trial with an outcome", "trials:close"),
    *(
        Move("cancel", source, Phase.CANCELLED, frozenset({NEUROLOGIST}), "Cancel the trial",
             "trials:cancel")
        for source in Phase.OPEN
    ),
)  # fmt: skip


def find_move(action: str, source: str) -> Move | None:
    for move in MOVES:
        if move.action == action and move.source == source:
            return move
    return None


# --- Checklists -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    roles: frozenset[str]
    required: bool = True
    help: str = ""

    @property
    def roles_label(self) -> str:
        return " or ".join(sorted(self.roles))


@dataclass(frozen=True)
class Checklist:
    key: str
    title: str
    phase: str
    per_attempt: bool
    items: tuple[Item, ...]

    def item(self, key: str) -> Item | None:
        return next((i for i in self.items if i.key == key), None)

    @property
    def required_keys(self) -> list[str]:
        return [i.key for i in self.items if i.required]


N = frozenset({NURSE})
D = frozenset({NEUROLOGIST})
ND = frozenset({NURSE, NEUROLOGIST})

PREPARATION = Checklist(
    key="preparation",
    title="Preparation",
    phase=Phase.PREPARATION,
    per_attempt=False,
    items=(
        Item("indication", "Indication documented", D,
             help="Severe spasticity not responding to oral medication, or intolerable side "
                  "effects of oral baclofen; diagnosis recorded."),
        Item("eligibility", "Eligibility confirmed", D,
             help="Age ≥ 4; traumatic brain injury ≥ 1 year ago; no baclofen hypersensitivity."),
        Item("no_infection", "No active infection, MS exacerbation, urinary tract infection or "
             "non-healing wound", ND),
        Item("anticoagulation", "Anticoagulant / antiplatelet review; blood work reviewed "
             "(platelets, INR)", D),
        Item("imaging", "Spine imaging (MRI or CT) reviewed", D, required=False,
             help="Where ordered."),
        Item("pregnancy", "Pregnancy status checked", N, required=False,
             help="Where applicable."),
        Item("other_treatments", "Timing of botulinum toxin / phenol injections and the oral "
             "antispasmodic plan considered", D),
        Item("consent", "Risks explained and consent signed", D,
             help="Headache, nausea, dizziness; rarely infection, bleeding, adverse drug reaction, "
                  "spinal fluid leak; and the label's serious effects: sedation, respiratory "
                  "depression, hypotension, seizures."),
        Item("goals", "Treatment goals recorded", D,
             help="E.g. positioning, care time, sleep, pain, gait, wheelchair tolerance."),
    ),
)  # fmt: skip

DAY_OF = Checklist(
    key="day_of",
    title="Day of the dose",
    phase=Phase.INJECTION,
    per_attempt=True,
    items=(
        Item("fasting", "Fasting as per site policy", N),
        Item("medications", "Regular medications taken as prescribed unless told otherwise", N),
        Item("identity", "Identity, allergies and consent verified; baseline vital signs "
             "recorded", N),
        Item("resuscitation", "Resuscitation equipment and trained staff available", N),
    ),
)  # fmt: skip

INJECTION = Checklist(
    key="injection",
    title="Injection assist",
    phase=Phase.INJECTION,
    per_attempt=True,
    items=(
        Item("positioned", "Patient lying on side or sitting, back curved outward", N),
        Item("skin_prepared", "Skin cleaned; local anaesthetic applied", D),
        Item("needle_removed", "Needle removed, bandage applied", N),
    ),
)  # fmt: skip

OBSERVATION = Checklist(
    key="observation",
    title="Observation and discharge",
    phase=Phase.OBSERVATION,
    per_attempt=True,
    items=(
        Item("vitals_stable", "Vital signs stable for discharge", N),
        Item("rest_today", "Told to rest for the remainder of the day", N),
        Item("no_strenuous", "Told to avoid strenuous activity for 24–48 hours", N),
        Item("warning_signs", "Told whom to call for headache, fever, drowsiness, breathing "
             "problems or leakage at the injection site", N, required=False),
    ),
)  # fmt: skip

FOLLOW_UP = Checklist(
    key="follow_up",
    title="Follow-up",
    phase=Phase.FOLLOW_UP,
    per_attempt=False,
    items=(
        Item("appointment", "Follow-up appointment booked", ND),
        Item("headache_checked", "Headache checked at follow-up", ND, required=False),
        Item("site_checked", "Injection site checked at follow-up", ND, required=False),
        Item("infection_checked", "Infection checked at follow-up", ND, required=False),
    ),
)  # fmt: skip

CHECKLISTS: dict[str, Checklist] = {
    c.key: c for c in (PREPARATION, DAY_OF, INJECTION, OBSERVATION, FOLLOW_UP)
}
PHASE_CHECKLISTS: dict[str, tuple[str, ...]] = {
    Phase.PREPARATION: ("preparation",),
    Phase.INJECTION: ("day_of", "injection"),
    Phase.OBSERVATION: ("observation",),
    Phase.FOLLOW_UP: ("follow_up",),
}

# --- Doses ------------------------------------------------------------------------------------

DOSE_LADDER_MCG = (25, 50, 75, 100)
DOSE_CHOICES = [(d, f"{d} mcg") for d in DOSE_LADDER_MCG]
FIRST_DOSE_MCG = 50
# 25 mcg as a first dose: children without a reason, adults only with one (DOMAIN §2).
SMALL_FIRST_DOSE_MCG = 25
ADULT_AGE_YEARS = 18
# The label's minimum age, checked against the date of birth when preparation is signed.
MIN_AGE_YEARS = 4
MAX_ATTEMPTS = 3


def next_rung(dose_mcg: int) -> int | None:
    """The ladder's default next dose (50 → 75 → 100); None after the highest."""
    higher = [d for d in DOSE_LADDER_MCG if d > dose_mcg and d >= FIRST_DOSE_MCG]
    return higher[0] if higher else None


MIN_HOURS_BETWEEN_ATTEMPTS = 24
MIN_INJECTION_SECONDS = 60  # barbotage over at least 1 minute
J0476_UNIT_MCG = 50
PUMP_DOSE_FACTOR = 2  # suggested starting daily pump dose = 2 × effective screening dose / 24 h

# --- Spasticity scales ------------------------------------------------------------------------

MAS_GRADES = ("0", "1", "1+", "2", "3", "4")
MAS_CHOICES = [(g, g) for g in MAS_GRADES]
MAS_VALUE = {"0": Decimal(0), "1": Decimal(1), "1+": Decimal("1.5"), "2": Decimal(2),
             "3": Decimal(3), "4": Decimal(4)}  # fmt: skip
NOT_ASSESSED = ""


@dataclass(frozen=True)
class MuscleGroup:
    key: str
    label: str
    lower_limb: bool


MUSCLE_GROUPS: tuple[MuscleGroup, ...] = (
    MuscleGroup("hip_flexors", "Hip flexors", True),
    MuscleGroup("hip_adductors", "Hip adductors", True),
    MuscleGroup("knee_extensors", "Knee extensors", True),
    MuscleGroup("knee_flexors", "Knee flexors", True),
    MuscleGroup("ankle_plantar_flexors", "Ankle plantar flexors", True),
    MuscleGroup("elbow_flexors", "Elbow flexors", False),
    MuscleGroup("elbow_extensors", "Elbow extensors", False),
    MuscleGroup("wrist_flexors", "Wrist flexors", False),
)
MUSCLE_GROUP_LABELS = {g.key: g.label for g in MUSCLE_GROUPS}
# The groups of the responder rule (DOMAIN.md §4), and the others.
LOWER_LIMB_GROUPS: tuple[str, ...] = tuple(g.key for g in MUSCLE_GROUPS if g.lower_limb)
UPPER_LIMB_GROUPS: tuple[str, ...] = tuple(g.key for g in MUSCLE_GROUPS if not g.lower_limb)
SIDES = (("left", "Left"), ("right", "Right"))

PENN_FREQUENCY_CHOICES = [
    (0, "0 – none"),
    (1, "1 – induced only by stimulation"),
    (2, "2 – less than once an hour"),
    (3, "3 – more than once an hour"),
    (4, "4 – more than 10 times an hour"),
]
PENN_SEVERITY_CHOICES = [(1, "1 – mild"), (2, "2 – moderate"), (3, "3 – severe")]

# --- Observation ------------------------------------------------------------------------------

# Site defaults: every 15 min for the first hour, every 30 min to 2 h, then hourly to 8 h.
DEFAULT_VITALS_MINUTES = (15, 30, 45, 60, 90, 120, 180, 240, 300, 360, 420, 480)
# Spasticity at 2 h and 4 h, plus 6 h and 8 h if the effect lasts.
DEFAULT_ASSESSMENT_MINUTES = (120, 240, 360, 480)
# Discharge waits for these (DOMAIN §3); the later ones are owed only while the effect lasts.
DEFAULT_DISCHARGE_ASSESSMENT_MINUTES = (120, 240)
# An assessment belongs to the slot within ± this many minutes of it (DOMAIN §2a, site setting).
DEFAULT_ASSESSMENT_WINDOW_MINUTES = 30
# An entry made longer than this after the event is a late entry (DOMAIN §2a, site setting).
DEFAULT_LATE_ENTRY_MINUTES = 60

SEDATION_CHOICES = [
    (0, "0 – alert"),
    (1, "1 – occasionally drowsy, easy to rouse"),
    (2, "2 – frequently drowsy, easy to rouse"),
    (3, "3 – somnolent, difficult to rouse"),
]

AE_TYPES = [
    ("headache", "Headache (post-dural-puncture)"),
    ("nausea", "Nausea / vomiting"),
    ("dizziness", "Dizziness"),
    ("bleeding", "Bleeding at the site"),
    ("csf_leak", "Spinal fluid leak"),
    ("infection", "Infection"),
    ("drug_reaction", "Adverse drug reaction"),
    ("sedation", "Drowsiness / sedation"),
    ("hypotension", "Hypotension"),
    ("bradycardia", "Bradycardia"),
    ("respiratory_depression", "Respiratory depression"),
    ("seizure", "Seizure"),
    ("urinary_retention", "Urinary retention"),
    ("hypotonia", "Hypotonia / weakness"),
    ("coma", "Coma"),
]
AE_SEVERITIES = [
    ("mild", "Mild"),
    ("moderate", "Moderate"),
    ("severe", "Severe"),
    ("life_threatening", "Life-threatening"),
]
SEVERE_AE = ("severe", "life_threatening")

DISCHARGE_INSTRUCTIONS = (
    "Rest for the remainder of the day after the procedure.",
    "Avoid strenuous activities for 24–48 hours.",
    "Follow-up appointments to assess the efficacy of the injection and to discuss long-term "
    "treatment options.",
)

GOAL_OUTCOMES = [("met", "Met"), ("partly", "Partly met"), ("not_met", "Not met")]

# --- Follow-up --------------------------------------------------------------------------------

OUTCOME_CHOICES = [
    ("pump_candidate", "Pump candidate (refer for implant)"),
    ("not_candidate", "Not a candidate"),
    ("withdrawn", "Withdrawn"),
]

SIGNATURE_MEANINGS = {
    "preparation": ("approved", "Preparation complete; patient approved for the trial dose"),
    "injection": ("performed", "Injection performed"),
    "discharge": ("performed", "Discharge performed; recovery instructions given"),
    "discharge_exception": (
        "approved",
        "Discharge approved as an exception before the discharge criteria were met",
    ),
    "decision": ("reviewed", "Response reviewed and decided"),
    "close": ("approved", "Trial outcome approved"),
}
# A correction of a signed record is signed in turn, with this meaning and a reason.
AMENDMENT_MEANING = "amended"
# The fields of a signed record an amendment may correct. The time given is not among them: the
# observation schedule and the 24 h interval to the next dose were run from the signed time.
# The injection record the performing physician fills in and signs (DOMAIN §3, Injection).
INJECTION_RECORD_FIELDS: tuple[str, ...] = (
    "spinal_level", "needle_type", "needle_gauge", "clear_csf", "passes", "image_guidance",
    "radiologist", "product", "concentration_mcg_ml", "lot", "expiry", "given_at",
    "duration_seconds", "discarded_mcg", "assisting_nurse",
)  # fmt: skip
# Those the signer must fill in (the radiologist only with image guidance).
INJECTION_REQUIRED_FIELDS: tuple[str, ...] = tuple(
    f for f in INJECTION_RECORD_FIELDS if f not in ("clear_csf", "image_guidance", "radiologist")
)
AMENDABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "injection": tuple(f for f in INJECTION_RECORD_FIELDS if f != "given_at"),
    "discharge": ("discharge_note",),
}

# --- Who may do what outside the phase moves ---------------------------------------------------

ACTION_ROLES: dict[str, frozenset[str]] = {
    "create_trial": ND,
    "edit_trial": D,
    "edit_patient": roles.EDIT_PATIENT,  # the duties outside the procedure: accounts/roles.py
    "record_baseline": D,
    "record_assessment": D,
    "record_vitals": ND,
    "record_adverse_event": ND,
    "record_pain_medication": ND,
    "decide": D,
    "record_effect_worn_off": D,
    "site_settings": frozenset({ADMIN}),
    "amend_injection": D,
    "amend_discharge": N,
    "audit_review": roles.AUDIT_REVIEW,
    "manage_users": roles.MANAGE_USERS,
    # Pages of their own (the navigation shows a link exactly to those who may open it).
    "view_worklist": frozenset({NEUROLOGIST, ADMIN}),
    "view_tasks": ND,  # "My tasks", their home: what each open trial waits for from them
    "view_outcomes": frozenset({NEUROLOGIST, ADMIN}),
}
