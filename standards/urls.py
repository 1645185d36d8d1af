from django.urls import path

from standards.views import compare, consistency, dashboard, documents, pairs, search

app_name = "standards"

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("compare/", compare.compare, name="compare"),
    path("standards/", documents.standard_list, name="standard-list"),
    path("standards/<slug:key>/", documents.standard_detail, name="standard-detail"),
    path("pairs/<str:key>/", pairs.mapping_detail, name="mapping-detail"),
    path("search/", search.search, name="search"),
    path("consistency/", consistency.consistency, name="consistency"),
]
