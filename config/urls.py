from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from advocacy.dashboard import campaign_dashboard_view
from config import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(
        "admin/dashboard/<int:campaign_id>/",
        campaign_dashboard_view,
        name="campaign-dashboard",
    ),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # A page, not an endpoint: DRF's OPTIONS answer would be rendered with its HTML template
    # (a 500); anything but GET and HEAD is the usual JSON 405.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", http_method_names=["get", "head"]
        ),
        name="api-docs",
    ),
    path("api/v1/org/", include("advocacy.org_api_urls")),
    path("api/v1/", include("advocacy.api_urls")),
    path("api/v1/", include("advocacy.letter_api_urls")),
    path("", include("advocacy.letter_urls")),
    path("", include("advocacy.urls")),
]

handler400 = "config.errors_views.bad_request"
handler403 = "config.errors_views.permission_denied"
handler404 = "config.errors_views.page_not_found"
handler500 = "config.errors_views.server_error"
