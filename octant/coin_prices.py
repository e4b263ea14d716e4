"""`/cps/simple/price`: coin prices in the shape of CoinGecko's `simple/price`, which the web client reads
from `VITE_CRYPTO_VALUES_ENDPOINT`: fixed prices from the COIN_PRICES setting (docs/lifecycle.md §5.5)."""
from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from octant.web.api import RequestValidationError


NAMES = r"[^,\s]"  # a comma-separated list with at least one name (blank names are left out)


class CoinPricesApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("ids", str, required=True, pattern=NAMES, description="comma-separated coin "
                                     "ids, e.g. ethereum,golem"),
                    OpenApiParameter("vs_currencies", str, required=True, pattern=NAMES, description="comma-"
                                     "separated currencies, e.g. usd,eur")],
        responses={200: {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "number"}}}})
    def get(self, request):
        """`{coin: {currency: price}}` for the coins and currencies asked that COIN_PRICES knows (others are
        left out, as CoinGecko leaves out what it does not know)."""
        asked = {}
        for name in ("ids", "vs_currencies"):
            asked[name] = [part.strip().lower() for part in request.query_params.get(name, "").split(",")
                           if part.strip()]
            if not asked[name]:
                raise RequestValidationError({name: ["This query parameter is required."]})
        prices = {coin: {currency: settings.COIN_PRICES[coin][currency]
                         for currency in asked["vs_currencies"] if currency in settings.COIN_PRICES[coin]}
                  for coin in asked["ids"] if coin in settings.COIN_PRICES}
        return Response(prices)
