from django.contrib import messages
from django.shortcuts import redirect, render

from accounts.roles import roles_required
from core.concurrency import EditConflict
from trials import procedure
from trials.forms import SiteSettingsForm
from trials.models import SiteSettings
from trials.services.site import site_settings_update


@roles_required(*procedure.ACTION_ROLES["site_settings"])
def site_settings(request):
    form = SiteSettingsForm(request.POST or None, instance=SiteSettings.fresh())
    if request.method == "POST" and form.is_valid():
        try:
            site_settings_update(actor=request.user, form=form)
        except EditConflict as conflict:
            form.show_conflict(conflict)
        else:
            messages.success(request, "Site settings saved.")
            return redirect("trials:site_settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "trials/site_settings.html", {"form": form}, status=status)
