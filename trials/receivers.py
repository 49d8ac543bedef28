"""The trial side's answers to what the patient register announces (patients/signals.py)."""

from django.dispatch import receiver

from patients.signals import patient_changed
from trials.services.trial_figures import trial_figures_refresh_for_patient


@receiver(patient_changed, dispatch_uid="trial_figures_follow_the_diagnosis")
def refresh_figures_for_a_new_diagnosis(sender, patient, fields, **kwargs):
    """The kept figures copy each trial's diagnosis: written again when it changes, in the
    transaction of the change."""
    if "diagnosis" in fields:
        trial_figures_refresh_for_patient(patient_id=patient.pk)
