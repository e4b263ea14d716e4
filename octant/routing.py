"""Websocket routes."""
from django.urls import re_path

from allocations.consumers import SocketIOConsumer

websocket_urlpatterns = [
    re_path(r"^socket\.io/$", SocketIOConsumer.as_asgi()),
]
