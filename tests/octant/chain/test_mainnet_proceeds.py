"""Mainnet staking proceeds from Etherscan and Bitquery, served by a local HTTP server on 127.0.0.1 with
answers in the shape the real services give, including slow answers and 5xx."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from octant.chain import proceeds
from octant.chain.backends import get_chain
from octant.chain.models import StoredProceeds
from octant.core.exceptions import ChainUnavailable

TARGET = "0xBA4f4e28fF4d3C10b2d7c3E8Fe1E0eA7D6f8B9c0"
GWEI = 10**9


def _tx(n, block, **fields):
    return {"blockNumber": str(block), "hash": f"0x{n:064x}", "from": "0x" + "99" * 20, "to": TARGET.lower(),
            "value": str(10**15), "isError": "0", "functionName": "", **fields}


# 10,050 plain transfers (a full page and then some), one errored, one contract call, one to someone else
TXLIST = ([_tx(n, 100 + n // 4) for n in range(10_050)]
          + [_tx(20_001, 5000, isError="1"), _tx(20_002, 5000, functionName="deposit(uint256)"),
             _tx(20_003, 5000, to="0x" + "11" * 20)])
INTERNAL = [_tx(30_000, 200, value=str(3 * 10**18)), _tx(0, 100)]  # the second repeats a normal tx hash
WITHDRAWALS = [{"withdrawalIndex": "1", "amount": str(20_000_000), "blockNumber": "150"},
               {"withdrawalIndex": "2", "amount": str(32 * GWEI + 5_000_000), "blockNumber": "160"},
               {"withdrawalIndex": "2", "amount": str(32 * GWEI + 5_000_000), "blockNumber": "160"}]
EXPECTED = 10_050 * 10**15 + 3 * 10**18 + (20_000_000 + 5_000_000) * GWEI + 42_100_000_000_000_000


class Peer:
    def __init__(self):
        self.faults, self.requests = [], []
        self.records = {"txlist": TXLIST, "txlistinternal": INTERNAL, "txsBeaconWithdrawal": WITHDRAWALS}
        self.miner_rewards = "0.0421"  # Bitquery's sum, in ETH, a JSON string
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                outer.requests.append(params)
                if outer.fault(self):
                    return
                if params["action"] == "getblocknobytime":
                    return self._answer(200, {"status": "1", "message": "OK", "result": str(int(params["timestamp"]) // 10)})
                records = outer.records[params["action"]]
                lo, hi = int(params["startblock"]), int(params["endblock"])
                page = [r for r in records if lo <= int(r["blockNumber"]) <= hi][:10_000]
                self._answer(200, {"status": "1", "message": "OK", "result": page} if page else
                             {"status": "0", "message": "No transactions found", "result": []})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"bitquery": body["variables"], "key": self.headers.get("X-API-KEY")})
                if outer.fault(self):
                    return
                self._answer(200, {"data": {"EVM": {"MinerRewards": [{"sum": outer.miner_rewards}]}}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def fault(self, handler) -> bool:
        fault = self.faults.pop(0) if self.faults else None
        if isinstance(fault, float):
            time.sleep(fault)
        elif fault == "NOTOK":
            handler._answer(200, {"status": "0", "message": "NOTOK", "result": "Max rate limit reached"})
            return True
        elif fault:
            handler._answer(fault, {"error": "upstream"})
            return True
        return False


@pytest.fixture
def peer(settings):
    server = Peer()
    settings.ETHERSCAN_URL = server.url + "v2/api"
    settings.BITQUERY_URL = server.url + "graphql"
    settings.ETHERSCAN_API_KEY, settings.BITQUERY_API_KEY = "etherscan-key", "bitquery-key"
    settings.ETHERSCAN_TIMEOUT = settings.BITQUERY_TIMEOUT = 0.5
    settings.PROCEEDS_BACKOFF = 0.01
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_sums_transfers_withdrawals_less_principal_and_block_rewards(peer):
    assert proceeds.mainnet_proceeds(TARGET, start=1000, end=60_000) == EXPECTED
    blocks = [r for r in peer.requests if r.get("action") == "getblocknobytime"]
    assert [(r["timestamp"], r["closest"]) for r in blocks] == [("1000", "before"), ("60000", "before")]
    txlists = [r for r in peer.requests if r.get("action") == "txlist"]
    assert len(txlists) == 2 and txlists[1]["startblock"] == TXLIST[9_999]["blockNumber"]  # restarts at the last block
    assert all(r["address"] == TARGET.lower() and r["endblock"] == "5999" and r["chainid"] == "1"
               for r in peer.requests if "action" in r and r["action"] != "getblocknobytime")
    [bitquery] = [r for r in peer.requests if "bitquery" in r]
    assert bitquery == {"bitquery": {"address": TARGET.lower(), "from": "100", "to": "5999"}, "key": "bitquery-key"}


def test_a_hash_counts_at_its_first_occurrence_whatever_it_is(peer):
    """docs/rewards.md §3.1.1: errored transactions go first, then repeated hashes (the first copy stays), and
    only then the filter on `to` and functionName: an internal transfer that repeats the hash of a normal
    contract call counts nothing, one that repeats an errored normal transaction's hash counts."""
    peer.records["txlistinternal"] = INTERNAL + [_tx(20_002, 5000, value=str(7 * 10**18)),  # the contract call's
                                                 _tx(20_001, 5000, value=str(11 * 10**15))]  # the errored one's
    assert proceeds.mainnet_proceeds(TARGET, start=1000, end=60_000) == EXPECTED + 11 * 10**15


def test_block_rewards_are_a_float_turned_into_wei_through_its_shortest_form(peer):
    """docs/rewards.md §3.1.1: Bitquery's sum is read as a float ETH amount, as `web3.to_wei` converts one: a
    string with more digits than a float holds loses them (…902 becomes …900)."""
    peer.miner_rewards = "0.077902794919848902"
    assert proceeds.mainnet_proceeds(TARGET, start=1000, end=60_000) == (
        EXPECTED - 42_100_000_000_000_000 + 77_902_794_919_848_900)


def test_slow_answers_and_5xx_are_retried(peer, settings):
    settings.PROCEEDS_RETRIES = 3
    peer.faults = [1.0, 502, 503]  # a timeout, then two server errors, then the real answers
    assert proceeds.mainnet_proceeds(TARGET, start=1000, end=60_000) == EXPECTED


def test_a_lasting_outage_raises_and_stores_nothing(peer, deployment, settings):
    chain = deployment
    settings.CHAIN_ID = 1
    settings.CONTRACTS = {**settings.CONTRACTS, "WithdrawalsTarget": TARGET}
    chain.travel(chain.start + chain.duration + 1)
    peer.faults = [500] * 10
    with pytest.raises(ChainUnavailable):
        get_chain().staking_proceeds(1)
    assert not StoredProceeds.objects.exists()
    peer.faults = []
    amount = get_chain().staking_proceeds(1)  # the epoch's block range from its start and end
    assert amount > 0 and StoredProceeds.objects.get(epoch=1).amount == amount
    blocks = [r["timestamp"] for r in peer.requests if r.get("action") == "getblocknobytime"][-2:]
    assert blocks == [str(chain.start), str(chain.start + chain.duration)]


def test_an_etherscan_error_message_is_not_an_empty_result(peer):
    peer.faults = [None, None, "NOTOK"]  # two block lookups, then txlist answers with an error message
    with pytest.raises(ChainUnavailable, match="Max rate limit reached"):
        proceeds.mainnet_proceeds(TARGET, start=1000, end=60_000)
