"""The 400 and 500 pages: rendered without the request, so no user, record or patient data can
reach them, and nothing on the way (CSRF, sessions, the database) can fail a second time.

Django's own 400 page checks the CSRF token, i.e. reads the body that could not be read, and so
turns a bad request into a server error.
"""

from django.http import HttpResponseBadRequest, HttpResponseServerError
from django.template import loader
from django.utils.cache import patch_cache_control


def bad_request(request, exception):
    return _page(HttpResponseBadRequest, "400.html")


def server_error(request):
    return _page(HttpResponseServerError, "500.html")


def _page(response_class, template: str):
    response = response_class(loader.get_template(template).render())
    patch_cache_control(response, no_store=True, private=True)
    return response
