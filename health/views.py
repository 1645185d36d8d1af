import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from health.heartbeat import worker_alive

logger = logging.getLogger(__name__)

# The permission of those who watch the background worker (standards.roles.WATCH_TASKS).
WATCHES_THE_WORKER = "django_tasks_database.view_dbtaskresult"


@require_safe
def healthz(request):
    """For load balancers and monitoring, without a login: 200 when the database answers
    and a report worker recorded a recent heartbeat, 503 naming the part that failed.
    Says nothing else about the installation, except to a logged-in administrator: the
    report cache's figures and retention policy (standards.reports.upkeep)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        worker = worker_alive()
    except DatabaseError:
        logger.warning("Health check: the database did not answer", exc_info=True)
        return _answer(request, database=False, worker=None)
    if not worker:
        logger.warning("Health check: no recent report worker heartbeat")
    return _answer(request, database=True, worker=worker)


def _answer(request, database, worker):
    def word(ok):
        return "unknown" if ok is None else ("ok" if ok else "fail")

    healthy = bool(database and worker)
    body = {
        "status": "ok" if healthy else "fail",
        "database": word(database),
        "worker": word(worker),
    }
    if database and request.user.has_perm(WATCHES_THE_WORKER):
        # Administrators (who watch the worker's tasks) also see the report cache
        # against its retention policy.
        from standards.reports.upkeep import cache_state

        body["report_cache"] = cache_state()
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    if request.method == "HEAD":
        # The headers of the GET answer without its body (gunicorn warns about a body).
        response["Content-Length"] = str(len(response.content))
        response.content = b""
    return response
