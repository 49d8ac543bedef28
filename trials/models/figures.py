from django.db import models

from trials import procedure
from trials.procedure import Phase


class TrialFigures(models.Model):
    """What the outcome dashboard counts of one trial, kept for speed beside the raw rows.

    The attempts and the MAS scores stay the source of truth (DOMAIN.md §4). Every trial has
    one row, written only by trials/services/trial_figures.py from the raw rows, in the same
    transaction as the change it comes from: a dose, a score or a decision, and also a move of
    the trial, its referral date or its patient's diagnosis, whose copies here let the dashboard
    count everything from this one narrow table. `manage.py trial_figures --check` derives the
    rows again from the raw ones and lists any that differ (a test does the same).
    """

    trial = models.OneToOneField(
        "trials.Trial", on_delete=models.CASCADE, primary_key=True, related_name="figures"
    )
    # Copies of the trial's and the patient's, as they stand.
    status = models.CharField(max_length=16, choices=Phase.CHOICES)
    outcome = models.CharField(max_length=20, choices=procedure.OUTCOME_CHOICES, blank=True)
    referred_on = models.DateField()
    diagnosis = models.CharField(max_length=8)
    # Attempts are given in order (1, 2, 3): n doses given means attempts 1..n were given.
    doses_given = models.PositiveSmallIntegerField(default=0)
    decided = models.BooleanField(default=False, help_text="A dose's response was decided.")
    responder = models.BooleanField(default=False, help_text="A dose was decided effective.")
    response_dose_mcg = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The dose of the first attempt decided effective."
    )
    first_dose_at = models.DateTimeField(null=True, blank=True, help_text="Attempt 1 given.")
    last_decided_at = models.DateTimeField(
        null=True, blank=True, help_text="The decision on the last attempt decided."
    )
    # The largest fall of the mean lower-limb MAS from baseline over the trial's post-dose
    # assessments (trials/outcomes/mas.py), in whole units of 1/mas.FALL_UNITS grade: exact, so
    # the dashboard's mean over trials is too. None: no group/side scored at baseline and after.
    mas_best_fall_units = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "trial figures"

    def __str__(self) -> str:
        return f"Figures of trial #{self.trial_id}"
