from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import views as account_views
from complaints.admin import views as admin_views
from complaints.views import site as site_views

admin.site.site_header = _("casetracker administration")
admin.site.site_title = _("casetracker")
admin.site.index_title = _("Case review")

urlpatterns = [
    path("", site_views.home, name="home"),
    # Browsers ask for /favicon.ico on every page, admin pages included.
    path("favicon.ico", site_views.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("complaints.urls")),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path(
        "admin/dashboard/",
        admin.site.admin_view(admin_views.dashboard_view),
        name="admin_dashboard",
    ),
    path("admin/", admin.site.urls),
]
