"""What the patient register announces to the apps that keep something derived from a patient:
the trials' kept figures copy the diagnosis (trials/receivers.py). A signal because patients know
nothing of those apps (tests/test_layering.py); sent by the service itself, inside the
transaction of the change, so what a receiver writes commits or rolls back with it."""

from django.dispatch import Signal

# Sent by patient_update after the save. Arguments: patient, fields (the names that changed).
patient_changed = Signal()
