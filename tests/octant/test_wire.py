"""Bodies, keys, messages and orders exactly as the reference's v2 API sends them (issue 13, item 1)."""
from model_bakery import baker

from projects.models import Project

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, PROJECTS, USERS, sign

ALICE, BOB, CAROL = USERS
P1, P2, P3 = PROJECTS


def snake(body):
    """An allocate body with the reference's snake_case field names."""
    return {"user_address": body["userAddress"], "signature": body["signature"],
            "is_manually_edited": body["isManuallyEdited"],
            "payload": {"nonce": body["payload"]["nonce"],
                        "allocations": [{"proposal_address": a["proposalAddress"], "amount": a["amount"]}
                                        for a in body["payload"]["allocations"]]}}


def test_allocate_answers_json_null_and_takes_snake_case(api, window):  # noqa: F811
    response = api.post("/allocations/allocate", snake(sign(ALICE, [(P1, 10**18)], 0)), format="json")
    assert response.status_code == 201 and response.content == b"null"
    assert response["Content-Type"] == "application/json"
    response = api.post("/allocations/allocate", sign(BOB, [(P2, 10**17)], 0), format="json")
    assert response.status_code == 201 and response.content == b"null"
    assert api.get(f"/allocations/user/{ALICE.address}/epoch/{EPOCH}").json() == {
        "allocations": [{"address": P1, "amount": str(10**18)}], "isManuallyEdited": False}
    # snake_case in the leverage simulation too; a camelCase twin wins over its snake_case spelling
    simulated = api.post(f"/allocations/leverage/{CAROL.address}",
                         {"allocations": [{"proposal_address": P3, "amount": "1000"}]}, format="json")
    assert simulated.status_code == 200 and simulated.json()["leverage"] != "0.0"
    both = {"allocations": [{"proposal_address": "0xnot-an-address", "proposalAddress": P3, "amount": "1"}]}
    assert api.post(f"/allocations/leverage/{CAROL.address}", both, format="json").status_code == 200


def test_snapshot_no_ops_answer_json_null(api, window):  # noqa: F811
    assert api.post("/snapshots/finalized").json() == {"epoch": EPOCH - 1}  # epoch 3's window has closed
    for path in ("/snapshots/pending", "/snapshots/finalized"):  # both taken: nothing to do
        response = api.post(path)
        assert response.status_code == 200 and response.content == b"null", path


def test_estimates_take_snake_case(api, window):  # noqa: F811
    by_days = api.post("/rewards/estimated_budget/by_days", {"days": 30, "glm_amount": str(10**21)}, format="json")
    assert by_days.status_code == 200
    assert by_days.json() == api.post("/rewards/estimated_budget/by_days", {"days": 30, "glmAmount": str(10**21)},
                                      format="json").json()
    response = api.post("/rewards/estimated_budget", {"number_of_epochs": 2, "glm_amount": 10**21}, format="json")
    assert response.status_code == 409  # validated (no finalized epoch yet), not a 400 for missing fields


def test_finalized_simulation_errors_carry_detail(api, window):  # noqa: F811
    window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    response = api.get("/snapshots/finalized/simulate")
    assert response.status_code == 400
    assert response.json() == {"message": "Possible only in open allocation window",
                               "detail": "Possible only in open allocation window"}


def test_unknown_routes_and_wrong_methods_answer_json(api, db):
    for path in ("/nope", "/epochs/current/extra", "/admin-not/", "/static/../x"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json" and response.json() == {"message": "Not Found"}
    response = api.post("/epochs/current")
    assert response.status_code == 405 and response["Content-Type"] == "application/json"
    assert set(response.json()) == {"message"} and "not allowed" in response.json()["message"]
    response = api.delete("/allocations/allocate")
    assert response.status_code == 405 and "message" in response.json()


def test_lists_in_the_reference_order(api, window, django_capture_on_commit_callbacks):  # noqa: F811
    # the project list order is not the address order: add a project whose address sorts first, last
    first = "0x0000000000000000000000000000000000000001"
    baker.make(Project, epoch=EPOCH, address=first)
    order = [*PROJECTS, first]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/allocations/allocate", sign(BOB, [(first, 10**18), (P2, 10)], 0),
                        format="json").status_code == 201
        assert api.post("/allocations/allocate", sign(ALICE, [(P3, 2 * 10**18)], 0), format="json").status_code == 201
    estimated = api.get("/rewards/projects/estimated").json()["rewards"]
    assert [r["address"] for r in estimated] == order  # not by allocated
    simulated = api.get("/snapshots/finalized/simulate").json()["projectsRewards"]
    assert [r["address"] for r in simulated] == [P2, P3, first]  # project-list order, allocated > 0 only
    # /user/uq/{epoch}/all: in the order the UQs were stored (Bob first), not by address
    assert [u["userAddress"] for u in api.get(f"/user/uq/{EPOCH}/all").json()["uqsInfo"]] == [
        BOB.address, ALICE.address]
    assert sorted([BOB.address, ALICE.address]) != [BOB.address, ALICE.address]

    window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    assert api.post("/snapshots/finalized").status_code == 201
    final = api.get(f"/rewards/projects/epoch/{EPOCH}").json()["rewards"]
    assert [r["address"] for r in final] == sorted([P2, P3, first])  # by address ascending


def test_camelize_keys():
    from octant.web.http import camelize_keys

    assert camelize_keys({"user_address": 1, "a": [{"glm_amount": "2", "x_y_z": None}], "_private": 3, "n_": 4}) == {
        "userAddress": 1, "a": [{"glmAmount": "2", "xYZ": None}], "_private": 3, "n_": 4}
    assert camelize_keys({"isManuallyEdited": True, "is_manually_edited": False}) == {"isManuallyEdited": True}
    deep = current = []
    for _ in range(50_000):  # deeper than Python's recursion limit: no recursion involved
        current.append([])
        current = current[0]
    assert camelize_keys(deep) is not deep and camelize_keys("x") == "x"
