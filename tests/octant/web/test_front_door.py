def test_the_root_points_to_the_docs_the_admin_and_the_websocket(api):
    response = api.get("/", HTTP_HOST="127.0.0.1:8123")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["docs"] == "http://127.0.0.1:8123/api/docs/"
    assert body["admin"] == "http://127.0.0.1:8123/admin/"
    assert body["websocket"] == "ws://127.0.0.1:8123/socket.io/?EIO=4&transport=websocket"
    assert api.get(body["docs"].removeprefix("http://127.0.0.1:8123")).status_code == 200


def test_behind_https_the_websocket_is_wss(api):
    body = api.get("/", secure=True).json()
    assert body["docs"].startswith("https://") and body["websocket"].startswith("wss://")
