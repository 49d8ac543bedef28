"""The app's URLs plus the floor of the benchmark: a bare Django view (bench/settings.py only)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET


@require_GET
def hello(request):
    return HttpResponse("hello", content_type="text/plain")


@require_GET
@login_required
def hello_signed_in(request):
    """The bare view behind the app's whole middleware for a signed-in user (the session read,
    the user, the second-factor gate, the idle limit): the ceiling of any page of the app."""
    return HttpResponse(f"hello {request.user.pk}", content_type="text/plain")


urlpatterns = [
    path("bench/hello/", hello, name="bench_hello"),
    path("bench/hello-signed-in/", hello_signed_in, name="bench_hello_signed_in"),
    path("", include("config.urls")),
]
handler403 = "audit.web.permission_denied"
handler404 = "audit.web.page_not_found"
