"""Websocket routes (the Socket.IO endpoint arrives with the allocations app's consumer)."""
websocket_urlpatterns = []
