"""ASGI entry point: HTTP through Django (static files included, for the admin and Swagger UI; bodies over
MAX_REQUEST_BYTES refused with 413, and bodies not received within REQUEST_BODY_TIMEOUT with 408; every error
answered as JSON; the busiest reads shared by octant.web.answers) and websockets through
Channels (at most SOCKETS_PER_IP open per client IP)."""
import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "octant.settings.base")

import django  # noqa: E402

django.setup(set_prefix=False)  # before anything imports models (as django.core.asgi does)

from octant.web.answers import SharedAnswers  # noqa: E402
from octant.web.asgi import BodyLimit, JsonErrors, SocketLimit, StaticFiles, SyncChainHandler  # noqa: E402
from octant.web.observe import Observed  # noqa: E402

django_asgi_app = Observed(JsonErrors(SharedAnswers(BodyLimit(StaticFiles(SyncChainHandler())))))

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from octant.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": SocketLimit(URLRouter(websocket_urlpatterns)),
})

# Load now what the first request would: every view (the URLconf imports them), Celery's task sender, the
# cache and the channel layer (about 100 ms that the first allocation of each process waited for). Nothing
# here connects to anything.
from channels.layers import get_channel_layer  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from octant.celery import app as celery_app  # noqa: E402

get_resolver().url_patterns
celery_app.amqp, celery_app.backend, celery_app.producer_pool
get_channel_layer(), cache.make_key("warm")

# What the imports built lives as long as the process: out of the collector's sight, a full collection walks
# only what requests allocate (it took the odd request 50-60 ms at the 1,000,000-allocation benchmark).
gc.collect()
gc.freeze()
