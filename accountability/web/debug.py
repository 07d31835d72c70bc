"""What Django's debug page and error e-mails may show of settings and the request's environment.

Django hides settings whose name says API, TOKEN, KEY, SECRET, PASS or SIGNATURE; ours carry credentials in
URLs too (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, a cache LOCATION), under names it does not suspect.
Any string holding a URL with a user or password is shown with them replaced.
"""

import re

from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@host or scheme://token@host
_CREDENTIALS_IN_URL = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


class CredentialsHidingFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        SafeExceptionReporterFilter.hidden_settings.pattern
        + r"|DATABASE_URL|REDIS_URL|BROKER_URL|RESULT_BACKEND",
        flags=re.IGNORECASE,
    )

    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)
        if isinstance(value, str) and _CREDENTIALS_IN_URL.search(value):
            return _CREDENTIALS_IN_URL.sub(rf"\g<scheme>{self.cleansed_substitute}@", value)
        return value
