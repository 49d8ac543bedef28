from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/code/", views.verify, name="verify"),
    path("account/", views.account, name="account"),
    path("account/two-step/", views.setup, name="setup"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
]
