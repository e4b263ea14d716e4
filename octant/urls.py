from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from octant import coin_prices, info_apis
from octant.web.front_door import front_door
from octant.web.observe import metrics_view

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
