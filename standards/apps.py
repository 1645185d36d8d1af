from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "standards"
    verbose_name = _("Standards and requirements")

    def ready(self):
        from standards import (
            checks,  # noqa: F401  (registers the system checks)
            search_text,
        )

        search_text.connect()
