"""Names and clinical phrases the synthetic patients and trials are drawn from."""

from patients.models import Diagnosis
from trials.procedure import Phase


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
