from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from octant import coin_prices, info_apis
from octant.web import http
from octant.web.front_door import front_door
from octant.web.observe import metrics_view

# Django's own error pages answer the v2 error shape, `{"message": ...}` (a bad Host header, a suspicious path,
# an unhandled exception); octant.web.asgi.JsonErrors does the same for DEBUG's pages and the ASGI layer's errors
handler400 = http.bad_request
handler403 = http.permission_denied
handler404 = http.page_not_found
handler500 = http.server_error

urlpatterns = [
    path("", front_door, name="front-door"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("info/version", info_apis.VersionApi.as_view()),
    path("info/chain-info", info_apis.ChainInfoApi.as_view()),
    path("info/healthcheck", info_apis.HealthcheckApi.as_view()),
    path("info/sync-status", info_apis.SyncStatusApi.as_view()),
    path("info/websockets-api", info_apis.websockets_api_html),
    path("info/websockets-api.yaml", info_apis.websockets_api_yaml),
    path("cps/simple/price", coin_prices.CoinPricesApi.as_view()),
    path("metrics", metrics_view),  # Prometheus (METRICS_TOKEN)
    path("", include("lifecycle.urls")),
    path("", include("epochs.urls")),
    path("", include("deposits.urls")),
    path("", include("projects.urls")),
    path("", include("allocations.urls")),
    path("", include("withdrawals.urls")),
    path("", include("users.urls")),
    path("", include("antisybil.urls")),
    path("", include("multisig.urls")),
    path("", include("glm.urls")),
]
