from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.views import SignInView
from trials.views import home

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("patients/", include("trials.patient_urls")),
    path("trials/", include("trials.urls")),
    path("django-admin/", admin.site.urls),
]

# Refused requests are written to the audit trail (audit/web.py).
handler403 = "audit.web.permission_denied"
handler404 = "audit.web.page_not_found"
# Pages that show nothing of the request, the user or any record (ops/errors.py).
handler400 = "ops.errors.bad_request"
handler500 = "ops.errors.server_error"
