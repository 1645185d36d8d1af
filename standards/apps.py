from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "standards"
    verbose_name = _("Standards and requirements")

    def ready(self):
        from django.contrib import admin

        from standards import (
            admin_bounds,
            checks,  # noqa: F401  (registers the system checks)
            review,
            search_text,
        )

        search_text.connect()
        review.connect()
        # django.contrib.admin, first of the installed apps, has imported every app's
        # admin module by now; a ModelAdmin registered later is bounded as it is.
        admin_bounds.bound_site(admin.site)
