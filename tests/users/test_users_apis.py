from eth_account import Account
from eth_account.messages import encode_defunct

from allocations.models import Allocation, ProjectFunding
from octant.core.signatures import patron_mode_message, tos_message

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS


def personal_sign(account, text) -> str:
    return "0x" + Account.sign_message(encode_defunct(text=text), account.key).signature.hex()


def test_terms_of_service(api, db):
    assert api.get(f"/user/{ALICE.address}/tos").json() == {"accepted": False}
    bad = api.post(f"/user/{ALICE.address}/tos", {"signature": personal_sign(BOB, tos_message(ALICE.address))},
                   format="json")
    assert bad.status_code == 400 and bad.json()["message"].startswith("Given signature")
    ok = api.post(f"/user/{ALICE.address}/tos", {"signature": personal_sign(ALICE, tos_message(ALICE.address))},
                  format="json", HTTP_X_REAL_IP="10.0.0.7")
    assert ok.status_code == 201 and ok.json() == {"accepted": True}
    assert api.get(f"/user/{ALICE.address}/tos").json() == {"accepted": True}
    again = api.post(f"/user/{ALICE.address}/tos", {"signature": personal_sign(ALICE, tos_message(ALICE.address))},
                     format="json")
    assert again.status_code == 400
    assert again.json() == {"message": f"Given user {ALICE.address} has already accepted the Terms of Service"}


def test_patron_mode_revokes_allocations_and_feeds_the_matching_pool(api, window, django_capture_on_commit_callbacks):  # noqa: F811,E501
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/allocations/allocate", sign(ALICE, [(PROJECTS[0], 10**18)], 0),
                        format="json").status_code == 201
    before = int(api.get(f"/epochs/info/{EPOCH}").json()["matchedRewards"])
    assert api.get(f"/user/{ALICE.address}/patron-mode").json() == {"status": False}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(f"/user/{ALICE.address}/patron-mode",
                             {"signature": personal_sign(ALICE, patron_mode_message(ALICE.address, enable=True))},
                             format="json")
    assert response.status_code == 200 and response.json() == {"status": True}
    assert not Allocation.objects.filter(deleted_at__isnull=True).exists()
    assert ProjectFunding.objects.get(project_address=PROJECTS[0]).allocated == 0
    budget = int(api.get(f"/rewards/budget/{ALICE.address}/epoch/{EPOCH}").json()["budget"])
    info = api.get(f"/epochs/info/{EPOCH}").json()
    assert int(info["patronsRewards"]) == budget and int(info["matchedRewards"]) == before + budget
    refused = api.post("/allocations/allocate", sign(ALICE, [(PROJECTS[0], 1)], 1), format="json")
    assert refused.status_code == 403

    window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert api.get(f"/user/patrons/{EPOCH}").json() == {"patrons": [ALICE.address]}
    response = api.patch(f"/user/{ALICE.address}/patron-mode",
                         {"signature": personal_sign(ALICE, patron_mode_message(ALICE.address, enable=False))},
                         format="json")
    assert response.json() == {"status": False}
    assert api.get(f"/user/patrons/{EPOCH}").json() == {"patrons": [ALICE.address]}  # as of the window's close


def test_uniqueness_quotients(api, window):  # noqa: F811
    assert api.get(f"/user/{BOB.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "0.01"}  # passport 1 < 5
    assert api.get(f"/user/{ALICE.address}/uq/{EPOCH}").json() == {"uniquenessQuotient": "1.0"}
    assert api.get(f"/user/uq/{EPOCH}/all").json() == {"uqsInfo": []}  # only stored ones
    api.post("/allocations/allocate", sign(BOB, [(PROJECTS[0], 1)], 0), format="json")
    assert api.get(f"/user/uq/{EPOCH}/all").json() == {
        "uqsInfo": [{"userAddress": BOB.address, "uniquenessQuotient": "0.01"}]}
    assert api.get("/user/patrons/99").status_code == 400
