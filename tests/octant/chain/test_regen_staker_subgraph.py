"""The RegenStaker subgraph the web client asks besides Octant's (`deposits` of an owner): the local chain
deploys no RegenStaker, so the answer is an empty list, in graph-node's shape."""
QUERY = """query Deposits($owner: String!, $regenStaker: String!) {
  deposits(where: {owner: $owner, regenStaker: $regenStaker}) { id depositId balanceWei }
}"""
ZERO = "0x" + "0" * 40


def test_the_client_query_gets_no_deposits(client, db):
    answer = client.post("/subgraphs/name/regen-staker", {"query": QUERY, "variables": {"owner": ZERO, "regenStaker": ZERO}},
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"data": {"deposits": []}}


def test_a_wrong_query_is_a_graphql_error(client, db):
    answer = client.post("/subgraphs/name/regen-staker", {"query": "{ lockeds { id } }"}, content_type="application/json")
    assert answer.status_code == 200 and "lockeds" in answer.json()["errors"][0]["message"]
    assert client.post("/subgraphs/name/regen-staker", "[]", content_type="application/json").status_code == 400
    assert client.get("/subgraphs/name/regen-staker").status_code == 405
