"""The app's URLs plus the floor of the benchmark: a bare Django view (bench/settings.py only)."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET


@require_GET
def hello(request):
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [
    path("bench/hello/", hello, name="bench_hello"),
    path("", include("config.urls")),
]
handler403 = "audit.web.permission_denied"
handler404 = "audit.web.page_not_found"
