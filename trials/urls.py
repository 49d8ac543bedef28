from django.urls import include, path

from .views import amend, board, checklist, home, outcomes, pages, records, site, steps

app_name = "trials"

urlpatterns = [
    path("", pages.trial_list, name="list"),
    path("board/", board.board, name="board"),
    path("worklist/", home.worklist, name="worklist"),
    path("tasks/", home.my_tasks, name="tasks"),
    path("settings/", site.site_settings, name="site_settings"),
    path("outcomes/", outcomes.dashboard, name="outcomes"),
    path("outcomes/trials/", outcomes.outcome_trials, name="outcomes_trials"),
    path("outcomes/export.csv", outcomes.outcomes_csv, name="outcomes_csv"),
    path("fhir/export.ndjson", outcomes.fhir_bulk, name="fhir_bulk"),
    path("audit/", include("audit.urls")),
    path("start/<int:patient_pk>/", pages.trial_create, name="create"),
    path("<int:pk>/", pages.trial_detail, name="detail"),
    path("<int:pk>/edit/", pages.trial_edit, name="edit"),
    path("<int:pk>/timeline/", pages.trial_timeline, name="timeline"),
    path("<int:pk>/summary/", outcomes.trial_summary, name="summary"),
    path("<int:pk>/summary.pdf", outcomes.trial_summary_pdf, name="summary_pdf"),
    path("<int:pk>/fhir/", outcomes.trial_fhir, name="fhir"),
    path(
        "<int:pk>/checklist/<str:checklist_key>/<str:item_key>/tick/",
        checklist.tick,
        name="tick",
    ),
    path(
        "<int:pk>/checklist/<str:checklist_key>/<str:item_key>/untick/",
        checklist.untick,
        name="untick",
    ),
    path("<int:pk>/baseline/", records.baseline, name="baseline"),
    path("<int:pk>/sign-preparation/", steps.sign_preparation, name="sign_preparation"),
    path("<int:pk>/injection/", steps.injection, name="injection"),
    path("<int:pk>/vitals/", records.vitals, name="vitals"),
    path("<int:pk>/assessment/", records.assessment, name="assessment"),
    path("<int:pk>/adverse-events/new/", records.adverse_event, name="adverse_event"),
    path(
        "<int:pk>/adverse-events/<int:event_pk>/resolve/",
        records.adverse_event_resolve,
        name="adverse_event_resolve",
    ),
    path("<int:pk>/pain-medication/", records.pain_medication, name="pain_medication"),
    path("<int:pk>/discharge/", steps.discharge, name="discharge"),
    path("<int:pk>/discharge-exception/", steps.discharge_exception, name="discharge_exception"),
    path("<int:pk>/effect-worn-off/", steps.effect_worn_off, name="effect_worn_off"),
    path("<int:pk>/decide/", steps.decide, name="decide"),
    path("<int:pk>/next-attempt/", steps.plan_next, name="plan_next"),
    path("<int:pk>/close/", steps.close, name="close"),
    path("<int:pk>/cancel/", steps.cancel, name="cancel"),
    path(
        "<int:pk>/attempts/<int:attempt_pk>/amend-injection/",
        amend.amend_injection,
        name="amend_injection",
    ),
    path(
        "<int:pk>/attempts/<int:attempt_pk>/amend-discharge/",
        amend.amend_discharge,
        name="amend_discharge",
    ),
]
