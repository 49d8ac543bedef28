"""Two answers the app gives to every request, whatever the view.

- A form body (application/x-www-form-urlencoded) in another character set than UTF-8 is
  refused with 400 and a sentence. Django refuses it too, but its 400 page reads the body again
  (CSRF) and fails again, which ends in a 500.
- A response to a signed-in user may show patient data (pages, PDF, CSV, FHIR): no browser
  cache, history or proxy may keep it (`Cache-Control: no-store, private`). A view that set its
  own Cache-Control keeps it; static files are answered by WhiteNoise before this runs.
"""

from django.http import HttpResponseBadRequest
from django.utils.cache import patch_cache_control

FORM = "application/x-www-form-urlencoded"
UTF_8 = {"utf-8", "utf8"}


class FormCharsetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        charset = request.content_params.get("charset")
        if request.content_type == FORM and charset and charset.strip().lower() not in UTF_8:
            return HttpResponseBadRequest(
                "This form was sent in a character set other than UTF-8, the only one forms are "
                "read in. Reload the page and send it again.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
