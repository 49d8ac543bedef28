import zoneinfo

from django.utils import timezone

from trials.models import SiteSettings


class ClinicTimezoneMiddleware:
    """Show times in the clinic's zone (a site setting); they are stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        site = SiteSettings.current()
        request.site_settings = site
        timezone.activate(zoneinfo.ZoneInfo(site.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
