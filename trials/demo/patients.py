"""The fourteen demo patients, one per phase and outcome (their trials: site.py)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from patients.models import Diagnosis, Sex

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
