"""Health information is never kept by a browser or proxy cache, and "this came over https" is
believed only from a proxy the deployment says is there (issue 9)."""

import pytest
from django.urls import reverse

from tests import module_data
from tests.security.test_deployment_settings import REAL_KEY, run

# The trials are built once for the module (tests/module_data.py): what a test changes is rolled
# back after it. The named users of the module are the people who built them.
TRIAL_STATES = ["follow_up"]
nurse, neurologist, admin_user = module_data.nurse, module_data.neurologist, module_data.admin_user


PATIENT_DATA = [
    ("trials:detail", "pk"),
    ("trials:summary", "pk"),
    ("trials:summary_pdf", "pk"),
    ("trials:fhir", "pk"),
    ("trials:outcomes_csv", None),
    ("trials:fhir_bulk", None),
    ("trials:audit_csv", None),
    ("patients:list", None),
    ("trials:board", None),
]


@pytest.mark.parametrize("name, arg", PATIENT_DATA)
def test_pages_and_exports_with_patient_data_are_not_stored(
    module_trial_in, client_for, admin_user, name, arg
):
    trial = module_trial_in("follow_up")
    url = reverse(name, args=[trial.pk] if arg else [])
    response = client_for(admin_user).get(url)
    assert response.status_code == 200
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache


def test_a_nurses_ward_board_is_not_stored(client_for, nurse):
    response = client_for(nurse).get(reverse("trials:board"))
    assert "no-store" in response["Cache-Control"]


def test_static_files_keep_their_year_long_cache(settings):
    # WhiteNoise answers /static/ before the no-store rule sees the response (cache of a year:
    # tests/ops/test_static_files.py).
    order = settings.MIDDLEWARE
    assert order.index("whitenoise.middleware.WhiteNoiseMiddleware") < order.index(
        "ops.http.NoStoreMiddleware"
    )


def _proxy_header(**env: str) -> str:
    code = "import config.settings as s; print(getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    keys = {"DJANGO_SECRET_KEY": REAL_KEY, "DJANGO_AUDIT_KEY": REAL_KEY}
    result = run("-c", code, DJANGO_DEBUG="0", **keys, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_trusts_x_forwarded_proto_only_behind_a_declared_proxy():
    assert _proxy_header() == "None"
    assert _proxy_header(DJANGO_BEHIND_PROXY="1") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_client_claiming_https_without_a_proxy_is_not_treated_as_secure(
    settings, client_for, nurse
):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None  # production without DJANGO_BEHIND_PROXY
    response = client_for(nurse).get(
        reverse("trials:board"), headers={"X-Forwarded-Proto": "https"}
    )
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_behind_a_declared_proxy_its_https_header_is_believed(settings, client_for, nurse):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client_for(nurse).get(
        reverse("trials:board"), headers={"X-Forwarded-Proto": "https"}
    )
    assert response.status_code == 200
