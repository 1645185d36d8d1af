from django.apps import AppConfig


class HealthConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "health"
    verbose_name = "Health"

    def ready(self):
        from django.db import reset_queries
        from django_tasks.signals import task_started

        # With DEBUG on, Django logs every query of a connection and forgets them when a
        # request starts; the report worker's tasks are its requests.
        task_started.connect(reset_queries, dispatch_uid="health.reset_queries")
