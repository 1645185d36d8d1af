"""Where jobs queued before the reports package existed find their task: django-tasks
stores the import path of each queued job ("standards.tasks.render_report")."""

from standards.reports.tasks import render_report

__all__ = ["render_report"]
