"""The audit trail for the admin: filter by patient, user, action and dates; page; export."""

from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.roles import AUDIT_REVIEW, roles_required
from core.spreadsheet import stream

from .review import CSV_HEADER, AuditFilterForm, csv_rows
from .services import audit_record

PAGE_SIZE = 50


@require_GET
@roles_required(*AUDIT_REVIEW)
def audit_list(request):
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "audit/events.html", {"form": form, "page": None}, status=400)
    page = Paginator(form.events(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/events.html", context)


@require_GET
@roles_required(*AUDIT_REVIEW)
def audit_csv(request):
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        text = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(f"Invalid filter: {text}", content_type="text/plain")
    scope = ", ".join(f"{k} {v}" for k, v in form.params.items()) or "all rows"
    audit_record(
        actor=request.user,
        action="export",
        summary=f"Exported the audit trail as CSV ({scope}).",
        new={"export": "audit CSV", **form.params},
    )
    rows = csv_rows(form.events().order_by("pk"))
    response = StreamingHttpResponse(stream(CSV_HEADER, rows), content_type="text/csv")
    name = f"itb-audit-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
