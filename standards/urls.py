from django.urls import path

from standards.views import (
    changes,
    compare,
    consistency,
    dashboard,
    documents,
    establishments,
    market_access,
    pairs,
    pathways,
    reports,
    review,
    rounds,
    search,
    visits,
    watches,
)

app_name = "standards"

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("compare/", compare.compare, name="compare"),
    path("standards/", documents.standard_list, name="standard-list"),
    path("standards/<slug:key>/", documents.standard_detail, name="standard-detail"),
    path("pairs/<str:key>/", pairs.mapping_detail, name="mapping-detail"),
    path("pairs/<str:key>/notes/", pairs.add_note, name="note-add"),
    path("pairs/<str:key>/review/", pairs.clear_flags, name="flags-clear"),
    path("review/", review.review_queue, name="review-queue"),
    path("rounds/", rounds.round_list, name="round-list"),
    path("rounds/<int:number>/", rounds.round_detail, name="round-detail"),
    path("rounds/<int:number>/baseline/", rounds.take_baseline, name="round-baseline"),
    path("pathways/", pathways.pathway_list, name="pathway-list"),
    path("pathways/<slug:key>/", pathways.pathway_detail, name="pathway-detail"),
    path("establishments/", establishments.establishment_list, name="establishment-list"),
    path(
        "establishments/<int:pk>/",
        establishments.establishment_detail,
        name="establishment-detail",
    ),
    path("visits/", visits.visit_list, name="visit-list"),
    path("visits/<slug:key>/", visits.visit_detail, name="visit-detail"),
    path("changes/", changes.changes, name="changes"),
    path("changes/report.pdf", changes.changes_file, {"fmt": "pdf"}, name="changes-pdf"),
    path("changes/report.csv", changes.changes_file, {"fmt": "csv"}, name="changes-csv"),
    path("changes/report.xlsx", changes.changes_file, {"fmt": "xlsx"}, name="changes-xlsx"),
    path("search/", search.search, name="search"),
    path("watches/", watches.watches, name="watches"),
    path("watches/add/", watches.watch_add, name="watch-add"),
    path("watches/<int:pk>/remove/", watches.watch_remove, name="watch-remove"),
    path("notifications/", watches.notifications, name="notifications"),
    path("notifications/read/", watches.notifications_read, name="notifications-read"),
    path("consistency/", consistency.consistency, name="consistency"),
    path("reports/", reports.builder, name="reports"),
    path("reports/gap/", reports.gap_html, name="report-html"),
    path("reports/gap.pdf", reports.gap_file, {"fmt": "pdf"}, name="report-pdf"),
    path("reports/gap.csv", reports.gap_file, {"fmt": "csv"}, name="report-csv"),
    path("reports/gap.xlsx", reports.gap_file, {"fmt": "xlsx"}, name="report-xlsx"),
    path("reports/market-access/", market_access.market_access_html, name="market-access-report"),
    *(
        path(
            f"reports/market-access.{fmt}",
            market_access.market_access_file,
            {"fmt": fmt},
            name=f"market-access-{fmt}",
        )
        for fmt in ("pdf", "csv", "xlsx")
    ),
    path("reports/jobs/<int:pk>/", reports.report_job, name="report-job"),
    path("reports/jobs/<int:pk>/download/", reports.report_job_download, name="report-download"),
    path("reports/verify/", reports.verify, name="report-verify"),
]
