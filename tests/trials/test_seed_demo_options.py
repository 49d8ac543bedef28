"""seed_demo's options: --all-phases-bulk, and --patients on a database with the demo site."""

from io import StringIO

from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from patients.models import Patient
from trials.demo.bulk import SyntheticData
from trials.demo.users import demo_users_create
from trials.models import Trial, VitalSigns
from trials.procedure import Phase


def test_all_phases_bulk_puts_trials_in_every_phase_today(db, nurse, neurologist):
    data = SyntheticData(
        nurse=nurse, neurologist=neurologist, seed=3, out=StringIO(), all_phases=True
    )
    data.write(300)

    counts = Trial.objects.phase_counts()
    assert all(counts[phase] > 0 for phase, _ in Phase.CHOICES)
    assert counts[Phase.OBSERVATION] >= 8  # thousands at 100k: the old benchmark mix
    assert not VitalSigns.objects.filter(recorded_at__gt=timezone.now()).exists()


def test_seed_demo_patients_adds_synthetic_patients_after_the_ones_there(db, settings):
    settings.DEBUG = True
    demo_users_create()  # the demo site exists: only the synthetic patients are written

    call_command("seed_demo", "--patients", "20", stdout=StringIO())
    call_command("seed_demo", "--patients", "10", "--seed", "4", stdout=StringIO())

    mrns = sorted(Patient.objects.values_list("mrn", flat=True))
    assert mrns == [f"SYN{n:07d}" for n in range(1, 31)]
    # One patient per MRN and at most one open trial each.
    per_patient = Trial.objects.open().values("patient").annotate(n=Count("pk"))
    assert all(row["n"] == 1 for row in per_patient)
