from django.urls import path

from standards import views

app_name = "standards"

urlpatterns = [
    path("", views.home, name="home"),
    path("standards/<slug:key>/", views.standard_detail, name="standard-detail"),
    path("pairs/<str:key>/", views.mapping_detail, name="mapping-detail"),
]
