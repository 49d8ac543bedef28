from django.db import transaction

from accounts.models import User
from accounts.roles import require_role
from audit.models import AuditEvent
from audit.services import audit_record
from core.concurrency import instance_values, model_rows, refuse_if_stale
from trials import procedure
from trials.models import SiteSettings


@transaction.atomic
def site_settings_update(*, actor: User, form) -> SiteSettings:
    """Save a validated SiteSettingsForm and record old → new. A form opened before someone
    else saved the settings is refused (core/concurrency.py), nothing overwritten."""
    require_role(actor, procedure.ACTION_ROLES["site_settings"], "change site settings")
    before = SiteSettings.objects.select_for_update().get(pk=form.instance.pk)
    edited = form._meta.fields
    current = instance_values(before, edited)
    refuse_if_stale(
        given=form.cleaned_data.get("version"),
        current=current,
        rows=model_rows(SiteSettings, edited, current, form.cleaned_data),
        what="the site settings",
        last_change=AuditEvent.objects.filter(
            object_type="SiteSettings", action="change", at__gte=before.updated_at
        )
        .order_by("-pk")
        .first(),
    )
    # The settings' own fields: the form's hidden version is not one (a stale form that sends
    # back what is on record is saved, not refused, and its version differs).
    fields = [f for f in form.changed_data if f in edited]
    site = form.save()
    old = {f: getattr(before, f) for f in fields if getattr(before, f) != getattr(site, f)}
    if old:
        audit_record(
            actor=actor,
            action="change",
            obj=site,
            summary="Site settings changed: " + ", ".join(old),
            old=old,
            new={f: getattr(site, f) for f in old},
        )
    return site
