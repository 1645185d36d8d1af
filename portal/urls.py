from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from health.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Every role changes its own password here (the admin's form is for staff only).
    # Django keeps this session and ends the user's others: their auth hash no longer
    # matches the password.
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/change_password.html",
            success_url=reverse_lazy("password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_changed.html"
        ),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    # No login: for load balancers and monitoring (GET/HEAD; answers nothing else).
    path("healthz", healthz, name="healthz"),
    path("", include("standards.urls")),
]
