from django.db import transaction

from trials import procedure
from trials.models import SiteSettings

from .audit import audit_record
from .errors import require_role


@transaction.atomic
def site_settings_update(*, actor, form) -> SiteSettings:
    """Save a validated SiteSettingsForm and record old → new."""
    require_role(actor, procedure.ACTION_ROLES["site_settings"], "change site settings")
    fields = list(form.changed_data)
    before = SiteSettings.objects.select_for_update().get(pk=form.instance.pk)
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
