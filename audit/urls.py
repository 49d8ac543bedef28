"""The audit trail's review pages. Included by trials/urls.py, so their names stay those they had
before the audit trail had an app of its own (trials:audit, trials:audit_csv) and every link and
bookmark keeps working."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.audit_list, name="audit"),
    path("export.csv", views.audit_csv, name="audit_csv"),
]
