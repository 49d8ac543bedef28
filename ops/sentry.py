"""Error reporting with Sentry (SENTRY_DSN set): exceptions and error log lines, with no
patient data.

Django's integration reports what failed and where. What it would also send, and is removed:
request bodies (form fields: names, clinical values), cookies (session keys), query strings
(the patient search), every header but a few harmless ones, the client's address, local
variables of the stack frames (a patient object in a view), and the values in breadcrumbs (SQL
parameters). send_default_pii=False already keeps users' names, e-mail and IP addresses out;
the user id stays, to know whose request failed.
"""

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

SAFE_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "content-length", "content-type", "host",
     "user-agent", "x-request-id", "hx-request"}
)  # fmt: skip
REMOVED = "[removed]"


def scrub_event(sent: "Event", hint: "Hint | None" = None) -> "Event":
    """Sentry's before_send: the event with everything that could carry patient data removed."""
    event = cast(dict[str, Any], sent)  # scrubbed as the plain JSON it is sent as
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    crumbs = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in crumbs or []:
        crumb.pop("data", None)
    return sent


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        traces_sample_rate=traces_sample_rate,
    )
