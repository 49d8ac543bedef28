from .amendment import Amendment
from .assessment import Assessment, MasScore
from .attempt import DoseAttempt
from .audit import AuditEvent, Signature
from .checklist import ChecklistEntry
from .figures import TrialFigures
from .observation import AdverseEvent, PainMedication, VitalSigns
from .site import SiteSettings
from .trial import Trial

__all__ = [
    "AdverseEvent",
    "Amendment",
    "Assessment",
    "AuditEvent",
    "ChecklistEntry",
    "DoseAttempt",
    "MasScore",
    "PainMedication",
    "Signature",
    "SiteSettings",
    "Trial",
    "TrialFigures",
    "VitalSigns",
]
