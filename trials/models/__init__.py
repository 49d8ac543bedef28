from .amendment import Amendment
from .assessment import Assessment, MasScore
from .attempt import DoseAttempt
from .checklist import ChecklistEntry
from .figures import TrialFigures
from .observation import AdverseEvent, PainMedication, VitalSigns
from .record_steps import RecordSteps
from .signature import Signature
from .site import SiteSettings
from .trial import Trial

__all__ = [
    "AdverseEvent",
    "Amendment",
    "Assessment",
    "ChecklistEntry",
    "DoseAttempt",
    "MasScore",
    "PainMedication",
    "RecordSteps",
    "Signature",
    "SiteSettings",
    "Trial",
    "TrialFigures",
    "VitalSigns",
]
