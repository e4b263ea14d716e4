"""Gitcoin Passport: `GET/PUT /user/{a}/antisybil-status` against a Passport Scorer served on 127.0.0.1,
the guest and timeout lists, and the UQ frozen at the first allocation from the stored score."""
from datetime import datetime, timezone

import pytest

from antisybil.models import PassportListEntry, PassportStamps
from users.models import User

from tests.fixtures.http import HANG
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
FUTURE, LATER, PAST = "2099-01-01T00:00:00.000Z", "2099-06-01T00:00:00Z", "2001-01-01T00:00:00.000Z"
EXTERNAL = {"message": "Request to an external service failed."}


def stamp(provider, expiration):
    return {"version": "1.0.0", "credential": {"expirationDate": expiration,
                                               "credentialSubject": {"provider": provider}}}


def ts(iso):
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp())


@pytest.fixture
def scorer(http_stub, settings, db):  # noqa: F811
    settings.PASSPORT_BACKEND = "scorer"
    settings.GC_PASSPORT_SCORER_BASE_URL = http_stub.url
    settings.GC_PASSPORT_SCORER_API_KEY = "key-1"
    settings.GC_PASSPORT_SCORER_ID = "77"
    return http_stub


def serve(stub, address, *, score="25.5", stamps=(), statuses=("DONE",)):
    stub.on("POST", "/registry/submit-passport", (200, {"address": address, "status": statuses[0],
                                                        "score": score if statuses[0] == "DONE" else None}))
    stub.on("GET", f"/registry/score/77/{address}",
            *[(200, {"address": address, "status": s, "score": score if s == "DONE" else None}) for s in statuses[1:]]
            or [(200, {"status": "DONE", "score": score})])
    stub.on("GET", f"/registry/stamps/{address}", (200, {"items": list(stamps), "next": None, "prev": None}))


def test_status_unknown_and_refresh_needs_a_user(api, scorer):
    response = api.get(f"/user/{ALICE.address}/antisybil-status")
    assert response.status_code == 404
    assert response.json() == {"message": "GP Stamps not found for user or the user does not exist, try fetching "
                                          "them first"}
    response = api.put(f"/user/{ALICE.address}/antisybil-status")
    assert response.status_code == 404
    assert response.json() == {"message": f"User with address {ALICE.address} not found"}
    assert scorer.requests == []
    assert api.put("/user/0x123/antisybil-status").status_code == 400


def test_refresh_submits_polls_and_stores_unexpired_stamps(api, scorer):
    User.objects.create(address=ALICE.address)
    serve(scorer, ALICE.address, score="25.5", statuses=("PROCESSING", "PROCESSING", "DONE"),
          stamps=[stamp("SelfStakingGold", LATER), stamp("Google", FUTURE), stamp("Twitter", PAST)])
    response = api.put(f"/user/{ALICE.address}/antisybil-status")
    assert response.status_code == 204 and response.content == b""
    submit = scorer.requests[0]
    assert submit["headers"]["X-API-KEY"] == "key-1"
    assert submit["body"] == {"address": ALICE.address, "scorer_id": "77"}
    assert scorer.calls("GET", f"/registry/score/77/{ALICE.address}") == 2
    row = PassportStamps.objects.get()
    assert [s["credential"]["credentialSubject"]["provider"] for s in row.stamps] == ["SelfStakingGold", "Google"]
    assert api.get(f"/user/{ALICE.address}/antisybil-status").json() == {
        "status": "Known", "score": str(25.5 - 2.7), "expiresAt": str(ts(FUTURE)), "isOnTimeOutList": False}


def test_no_stamps_expire_now(api, scorer):
    User.objects.create(address=ALICE.address)
    serve(scorer, ALICE.address, score="3")
    assert api.put(f"/user/{ALICE.address}/antisybil-status").status_code == 204
    body = api.get(f"/user/{ALICE.address}/antisybil-status").json()
    assert body["score"] == "3.0" and abs(int(body["expiresAt"]) - datetime.now().timestamp()) < 60


def test_guest_list_adds_21_unless_an_allow_list_stamp(api, scorer, settings):
    entry = PassportListEntry.objects.create(kind="guest", address=ALICE.address)
    assert PassportListEntry.objects.get(pk=entry.pk).address == ALICE.address.lower()  # stored lower-case
    assert PassportListEntry.objects.filter(kind="timeout", mainnet=False).count() == 3  # seeded
    User.objects.create(address=ALICE.address)
    serve(scorer, ALICE.address, score="2")
    api.put(f"/user/{ALICE.address}/antisybil-status")
    assert api.get(f"/user/{ALICE.address}/antisybil-status").json()["score"] == "23.0"
    serve(scorer, ALICE.address, score="2", stamps=[stamp("AllowList#OctantFinal", FUTURE)])
    api.put(f"/user/{ALICE.address}/antisybil-status")
    assert api.get(f"/user/{ALICE.address}/antisybil-status").json()["score"] == "2.0"
    settings.CHAIN_ID = 1  # the entry is for the other chains, not mainnet
    serve(scorer, ALICE.address, score="2")
    api.put(f"/user/{ALICE.address}/antisybil-status")
    assert api.get(f"/user/{ALICE.address}/antisybil-status").json()["score"] == "2.0"


def test_timeout_list_scores_zero(api, scorer, window):  # noqa: F811
    PassportListEntry.objects.create(kind="timeout", address=ALICE.address)
    serve(scorer, ALICE.address, score="40")
    api.put(f"/user/{ALICE.address}/antisybil-status")
    assert PassportStamps.objects.get().score == "0"
    assert api.get(f"/user/{ALICE.address}/antisybil-status").json() == {
        "status": "Known", "score": "0.0", "expiresAt": PassportStamps.objects.get().expires_at.__str__(),
        "isOnTimeOutList": True}
    assert api.get(f"/user/{ALICE.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "0.0"}


@pytest.mark.parametrize("answers", [
    [(429, {"detail": "slow down"}, {"Retry-After": "0"})],
    [(500, {"detail": "boom"})],
    [(502, b"<html>bad gateway</html>")],
    [HANG],
    [(200, b"not json")],
    [(401, {"detail": "bad key"})],
], ids=["429", "500", "502", "timeout", "not-json", "401"])
def test_scorer_failures_are_503(api, scorer, answers, settings):
    settings.EXTERNAL_API_RETRIES = 2
    User.objects.create(address=ALICE.address)
    scorer.on("POST", "/registry/submit-passport", *answers)
    response = api.put(f"/user/{ALICE.address}/antisybil-status")
    assert response.status_code == 503 and response.json() == EXTERNAL
    assert not PassportStamps.objects.exists()


def test_scoring_never_done_is_503_and_429_then_success_recovers(api, scorer):
    User.objects.create(address=ALICE.address)
    serve(scorer, ALICE.address, statuses=("PROCESSING",) * 7)
    response = api.put(f"/user/{ALICE.address}/antisybil-status")
    assert response.status_code == 503 and response.json() == EXTERNAL
    assert scorer.calls("GET", f"/registry/score/77/{ALICE.address}") == 5

    serve(scorer, ALICE.address, score="9")
    scorer.on("GET", f"/registry/stamps/{ALICE.address}", (429, {}, {"Retry-After": "0"}), (503, {}),
              (200, {"items": []}))
    assert api.put(f"/user/{ALICE.address}/antisybil-status").status_code == 204
    assert PassportStamps.objects.get().score == "9"


def test_uq_comes_from_the_stored_score_at_the_first_allocation(api, scorer, window,  # noqa: F811
                                                                django_capture_on_commit_callbacks):
    assert api.get(f"/user/{ALICE.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "0.01"}  # no record
    User.objects.get_or_create(address=ALICE.address)
    serve(scorer, ALICE.address, score="5")
    api.put(f"/user/{ALICE.address}/antisybil-status")
    assert api.get(f"/user/{ALICE.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "1.0"}
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/allocations/allocate", sign(ALICE, [(PROJECTS[0], 10**15)], 0),
                        format="json").status_code == 201
    serve(scorer, ALICE.address, score="1")
    api.put(f"/user/{ALICE.address}/antisybil-status")
    assert api.get(f"/user/{ALICE.address}/antisybil-status").json()["score"] == "1.0"
    assert api.get(f"/user/{ALICE.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "1.0"}  # frozen


def test_local_provider_reads_the_local_chain(api, window):  # noqa: F811
    User.objects.get_or_create(address=BOB.address)  # the chain gave BOB a score of 1
    assert api.get(f"/user/{BOB.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "0.01"}
    window.set_passport(BOB.address, "12.5")
    assert api.put(f"/user/{BOB.address}/antisybil-status").status_code == 204
    assert api.get(f"/user/{BOB.address}/antisybil-status").json()["score"] == "12.5"
    assert api.get(f"/user/{BOB.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "1.0"}
