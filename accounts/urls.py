from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/code/", views.verify, name="verify"),
    path("account/", views.account, name="account"),
    path("account/two-step/", views.setup, name="setup"),
    path("account/two-step/set-up-code/", views.enrol, name="enrol"),
    path("account/backup-codes/", views.backup_codes_page, name="backup_codes"),
    path("account/set-up-codes/", views.enrolment_codes, name="enrolment_codes"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
]
