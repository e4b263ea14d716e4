"""One client-IP rule (octant.web.client_ip) for the throttles, the open websockets' limit, the admin login
lockout and the address stored with a consent (issue 25, item 3): X-Forwarded-For counts only when the socket
peer is a trusted proxy, and X-Real-IP never does."""
import pytest
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import RequestFactory
from eth_account import Account
from eth_account.messages import encode_defunct

from octant.core.signatures import tos_message
from octant.web.asgi import SocketLimit
from octant.web.client_ip import client_ip

PROXY = "127.0.0.1"  # in the default TRUSTED_PROXIES
ATTACKER, CLIENT, OTHER = "203.0.113.9", "198.51.100.7", "192.0.2.44"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()  # throttle counters of other tests
    yield
    cache.clear()


@pytest.fixture
def behind_one_proxy(settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = [PROXY, "10.1.0.0/16"]


def ip(peer, forwarded=None, **headers):
    meta = {"REMOTE_ADDR": peer, **headers}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_without_proxies_the_socket_peer_is_the_client(settings):
    settings.NUM_PROXIES = 0
    assert ip(PROXY, f"{ATTACKER}") == PROXY
    assert ip(CLIENT, HTTP_X_REAL_IP=ATTACKER) == CLIENT


def test_behind_a_proxy_only_the_proxys_entry_counts(behind_one_proxy):
    assert ip(PROXY, f"{ATTACKER}, {CLIENT}") == CLIENT  # the proxy appended CLIENT; the rest is the client's
    assert ip("10.1.2.3", f" {CLIENT} ") == CLIENT  # a trusted network
    assert ip(PROXY, "2001:db8::1") == "2001:db8::1"
    assert ip(PROXY) == PROXY and ip(PROXY, "not-an-ip") == PROXY
    assert ip(PROXY, CLIENT, HTTP_X_REAL_IP=ATTACKER) == CLIENT


def test_a_peer_that_is_no_trusted_proxy_cannot_choose_its_address(behind_one_proxy):
    """The app's port reached directly: X-Forwarded-For (and X-Real-IP) are the client's own words."""
    assert ip(ATTACKER, CLIENT) == ATTACKER
    assert ip(ATTACKER, f"{OTHER}, {CLIENT}", HTTP_X_REAL_IP=CLIENT) == ATTACKER


def test_two_proxies_take_the_second_entry_from_the_right(settings):
    settings.NUM_PROXIES, settings.TRUSTED_PROXIES = 2, [PROXY]
    assert ip(PROXY, f"{ATTACKER}, {CLIENT}, 10.9.9.9") == CLIENT
    assert ip(PROXY, CLIENT) == CLIENT  # the outer proxy skipped: its peer is the first entry


def test_an_asgi_scope_follows_the_same_rule(behind_one_proxy):
    def scope(peer, *forwarded):
        return {"type": "websocket", "client": (peer, 40000),
                "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded]}

    assert client_ip(scope(PROXY, f"{ATTACKER}, {CLIENT}")) == CLIENT
    assert client_ip(scope(PROXY, ATTACKER, CLIENT)) == CLIENT  # the header twice: one list
    assert client_ip(scope(ATTACKER, CLIENT)) == ATTACKER
    assert client_ip({"type": "websocket", "headers": []}) == "unknown"


async def test_open_websockets_are_counted_per_client_behind_the_proxy(settings, behind_one_proxy):
    settings.SOCKETS_PER_IP = 1

    async def echo(scope, receive, send):
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        while (await receive())["type"] != "websocket.disconnect":
            pass

    app = SocketLimit(echo)

    async def connect(peer, forwarded):
        socket = WebsocketCommunicator(app, "/socket.io/?EIO=4&transport=websocket",
                                       headers=[(b"x-forwarded-for", forwarded.encode())])
        socket.scope["client"] = (peer, 40000)
        assert (await socket.connect())[0]
        return socket

    sockets = [await connect(PROXY, CLIENT), await connect(PROXY, OTHER), await connect(ATTACKER, "10.0.0.1")]
    assert app.open == {CLIENT: 1, OTHER: 1, ATTACKER: 1}
    forged = await connect(ATTACKER, "10.0.0.2")  # another forged address: still the attacker's second socket
    assert (await forged.receive_output())["code"] == 1013
    for socket in sockets:
        await socket.disconnect()


def test_a_forged_x_forwarded_for_does_not_escape_the_throttle(api, scheduled_chain, settings, behind_one_proxy):
    settings.THROTTLE_RATES = {"read": "2/minute", "write": None, "heavy": None}
    statuses = [api.get("/epochs/current", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
                for n in range(3)]
    assert statuses == [200, 200, 429]


def test_behind_the_proxy_each_client_has_its_own_count(api, scheduled_chain, settings, behind_one_proxy):
    settings.THROTTLE_RATES = {"read": "2/minute", "write": None, "heavy": None}
    get = lambda forwarded: api.get("/epochs/current", REMOTE_ADDR=PROXY,  # noqa: E731
                                    HTTP_X_FORWARDED_FOR=forwarded).status_code
    assert [get(f"{n}.0.0.1, {CLIENT}") for n in range(1, 4)] == [200, 200, 429]  # a forged left part: one client
    assert get(OTHER) == 200  # another client through the same proxy


def _accept_terms(api, **meta):
    from users.models import UserConsent

    account = Account.from_key(b"\x07" * 32)
    signature = Account.sign_message(encode_defunct(text=tos_message(account.address)), account.key).signature
    response = api.post(f"/user/{account.address}/tos", {"signature": "0x" + signature.hex()}, format="json", **meta)
    assert response.status_code == 201, response.content
    return UserConsent.objects.get().ip


def test_a_consent_stores_the_socket_peer_whatever_x_real_ip_says(api, db):
    assert _accept_terms(api, REMOTE_ADDR=ATTACKER, HTTP_X_REAL_IP=CLIENT, HTTP_X_FORWARDED_FOR=CLIENT) == ATTACKER


def test_a_consent_through_the_proxy_stores_the_client(api, db, behind_one_proxy):
    assert _accept_terms(api, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{OTHER}, {CLIENT}") == CLIENT


@pytest.fixture
def admin_login(client, db, settings):
    from django.contrib.auth.models import User

    settings.AXES_ENABLED = True
    User.objects.create_superuser("root", "root@example.org", "right-password")

    def login(username, password, *, forwarded):
        return client.post("/admin/login/?next=/admin/", {"username": username, "password": password},
                           REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded).status_code
    return login


def test_an_attacker_behind_the_proxy_locks_out_only_itself(admin_login, settings, behind_one_proxy):
    failures = [admin_login("root", "wrong", forwarded=ATTACKER) for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert failures[-1] == 429
    assert admin_login("root", "right-password", forwarded=ATTACKER) == 429
    assert admin_login("root", "right-password", forwarded=CLIENT) == 302  # the admin, from elsewhere, logs in


def test_password_spraying_over_user_names_is_locked(admin_login, settings, behind_one_proxy):
    statuses = [admin_login(f"user{n}", "password1", forwarded=ATTACKER) for n in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert admin_login("root", "right-password", forwarded=ATTACKER) == 429
