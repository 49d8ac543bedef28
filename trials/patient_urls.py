"""The patient pages, one URL namespace ("patients"): the register's edit form
(patients/views.py) and the list, a patient's page and the new-patient page, which show or lead
to trials (trials/views/patients.py). Named here, not in patients/, because patients know
nothing of trials."""

from django.urls import path

from patients import views as register

from .views import patients

app_name = "patients"

urlpatterns = [
    path("", patients.patient_list, name="list"),
    path("new/", patients.patient_new, name="create"),
    path("<int:pk>/", patients.patient_detail, name="detail"),
    path("<int:pk>/edit/", register.patient_edit, name="edit"),
]
