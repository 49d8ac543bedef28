"""One tap from where a user already is to the form she needs (issue 10): the ward board's row
opens the vital-signs form as My tasks does, My tasks offers a new patient, and a new patient's
form can go straight on to the trial."""

import re

from django.urls import reverse

from trials.models import Trial

from .support import html
from .test_forms import patient_post


def test_the_ward_board_row_opens_the_vital_signs_form_at_the_next_check(trial_in, as_nurse):
    trial = trial_in("observation")

    page = html(as_nurse.get(reverse("trials:board")))

    link = re.search(r'<a class="[^"]*board-vitals[^"]*" href="([^"]+)">(.*?)</a>', page)
    assert link, "no vital-signs link in the board's row"
    assert re.fullmatch(
        rf"{reverse('trials:vitals', args=[trial.pk])}\?at=\d{{4}}-\d\d-\d\dT\d\d:\d\d",
        link.group(1),
    )
    name = re.sub(r"<[^>]+>", "", link.group(2))
    assert name == f"Record vital signs: {trial.patient.last_name}, {trial.patient.first_name}"


def test_the_admin_sees_the_ward_board_without_the_vital_signs_link(trial_in, as_admin):
    trial_in("observation")

    page = html(as_admin.get(reverse("trials:board")))

    assert "board-row" in page
    assert "board-vitals" not in page


def test_my_tasks_offers_a_new_patient(as_nurse):
    page = html(as_nurse.get(reverse("trials:tasks")))

    assert f'href="{reverse("patients:create")}">New patient</a>' in page


def test_save_and_start_a_trial_leads_to_the_new_patients_trial_form(as_nurse):
    response = as_nurse.post(
        reverse("patients:create"), patient_post(mrn="H-31000") | {"start_trial": "1"}
    )

    assert response.status_code == 302
    patient_pk = int(re.search(r"/trials/start/(\d+)/$", response.url).group(1))
    page = html(as_nurse.get(response.url))
    assert "Patient saved." in page
    assert "Start an ITB trial for Ines Moreau" in page
    assert not Trial.objects.filter(patient_id=patient_pk).exists()  # nothing started for her


def test_a_plain_save_leads_to_the_patient_as_before(as_nurse):
    response = as_nurse.post(reverse("patients:create"), patient_post(mrn="H-31001"))

    assert response.status_code == 302
    assert re.fullmatch(r"/patients/\d+/", response.url)


def test_the_edit_form_has_no_save_and_start(make_patient, as_nurse):
    patient = make_patient()

    page = html(as_nurse.get(reverse("patients:edit", args=[patient.pk])))

    assert "Save and start a trial" not in page
    assert "Save and start a trial" in html(as_nurse.get(reverse("patients:create")))
