"""Local peers for the ethereum backend, on 127.0.0.1, for tests, benchmarks and development:

- `RpcServer`: a JSON-RPC HTTP endpoint over an in-process EVM (web3's `EthereumTesterProvider`, py-evm);
- `SubgraphServer`: a GraphQL HTTP endpoint (graphql-core) with the Octant subgraph's query surface
  (`lockeds`, `unlockeds`, `withdrawals`, `vaultMerkleRoots`, `epoches`, `_meta`; `where` filters,
  `orderBy`, `first` up to 1000, `skip`, `block: {number}`), serving entity rows that `mirror` builds from
  the in-process chain's logs, or any rows given;
- `SablierSubgraphServer`: the Sablier lockup subgraph's `lockupStreams` with nested `actions`, at any block.

Both can answer with injected faults (HTTP errors, JSON-RPC errors, delays) to test failure handling.
`Deployment` puts our contracts (octant/chain/contracts/Octant.sol) on a fresh in-process EVM behind the first
two, with an (empty) Sablier subgraph beside them. `LocalStack` is the other chain the ethereum backend runs
against: a running local stack of ours, its `/rpc` and `/subgraphs/name/octant`, with the same driver.

Dev-only (tests and bench): the production package does not import it."""
import bisect
import collections
import json
import threading
import time
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eth_hash.auto import keccak
from graphql import GraphQLError, build_schema, graphql_sync

from octant.chain import epoch_math

SCHEMA = """
scalar BigInt
scalar Bytes
enum OrderDirection { asc desc }
input Block_height { number: Int }
type _Block_ { number: Int! }
type _Meta_ { block: _Block_! hasIndexingErrors: Boolean! }
type Locked { id: Bytes! depositBefore: BigInt! amount: BigInt! user: Bytes! blockNumber: Int! timestamp: Int!
  transactionHash: Bytes! }
type Unlocked { id: Bytes! depositBefore: BigInt! amount: BigInt! user: Bytes! blockNumber: Int! timestamp: Int!
  transactionHash: Bytes! }
type Withdrawal { id: Bytes! amount: BigInt! epoch: Int! user: Bytes! blockNumber: Int! timestamp: Int!
  transactionHash: Bytes! }
type VaultMerkleRoot { id: Bytes! epoch: Int! root: Bytes! blockNumber: Int! timestamp: Int! transactionHash: Bytes! }
type Epoch { id: Bytes! epoch: Int! fromTs: BigInt! toTs: BigInt! duration: BigInt! decisionWindow: BigInt! }
input Event_filter { id: Bytes id_gt: Bytes id_lt: Bytes user: Bytes blockNumber: Int blockNumber_gt: Int
  blockNumber_gte: Int blockNumber_lt: Int blockNumber_lte: Int timestamp: Int timestamp_gt: Int timestamp_gte: Int
  timestamp_lt: Int timestamp_lte: Int epoch: Int epoch_gte: Int epoch_lte: Int }
input Epoch_filter { epoch: Int epoch_gt: Int epoch_gte: Int epoch_lt: Int epoch_lte: Int }
enum Event_orderBy { id blockNumber timestamp epoch }
enum Epoch_orderBy { id epoch fromTs }
type Query {
  lockeds(skip: Int = 0, first: Int = 100, orderBy: Event_orderBy, orderDirection: OrderDirection,
    where: Event_filter, block: Block_height): [Locked!]!
  unlockeds(skip: Int = 0, first: Int = 100, orderBy: Event_orderBy, orderDirection: OrderDirection,
    where: Event_filter, block: Block_height): [Unlocked!]!
  withdrawals(skip: Int = 0, first: Int = 100, orderBy: Event_orderBy, orderDirection: OrderDirection,
    where: Event_filter, block: Block_height): [Withdrawal!]!
  vaultMerkleRoots(skip: Int = 0, first: Int = 100, orderBy: Event_orderBy, orderDirection: OrderDirection,
    where: Event_filter, block: Block_height): [VaultMerkleRoot!]!
  epoches(skip: Int = 0, first: Int = 100, orderBy: Epoch_orderBy, orderDirection: OrderDirection,
    where: Epoch_filter, block: Block_height): [Epoch!]!
  _meta(block: Block_height): _Meta_
}
"""
ENTITIES = ("lockeds", "unlockeds", "withdrawals", "vaultMerkleRoots", "epoches")
_OPS = {"": lambda a, b: a == b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


class SubgraphData:
    """Entity rows (dicts with Python ints for numbers, lowercase 0x-hex for bytes), kept sorted by
    (blockNumber, id), and the head block."""

    def __init__(self, rows: dict[str, list[dict]] | None = None, head: int = 0):
        self.head = head
        self.rows = {name: [] for name in ENTITIES}
        self.blocks = {name: [] for name in ENTITIES}
        for name, entity_rows in (rows or {}).items():
            self.extend(name, entity_rows)

    def put(self, name: str, rows, blocks) -> None:
        """Serve `rows` (any sequence, sorted by (blockNumber, id)) with `blocks` their block numbers."""
        self.rows[name], self.blocks[name] = rows, blocks
        self.head = max(self.head, blocks[len(blocks) - 1] if len(blocks) else 0)

    def extend(self, name: str, rows) -> None:
        merged = self.rows[name] + [dict(r, blockNumber=r.get("blockNumber", 0)) for r in rows]
        merged.sort(key=lambda r: (r["blockNumber"], r["id"]))
        self.rows[name] = merged
        self.blocks[name] = [r["blockNumber"] for r in merged]
        self.head = max([self.head, *self.blocks[name][-1:]])

    def query(self, name, *, first=100, skip=0, orderBy=None, orderDirection=None, where=None, block=None):
        if first > 1000 or skip > 5000:
            raise GraphQLError("The `first` argument must be between 0 and 1000, and `skip` at most 5000")
        pin = block["number"] if block and block.get("number") is not None else self.head
        if pin > self.head:
            raise GraphQLError(f"Failed to decode `block.number` value: subgraph has only indexed up to block "
                               f"number {self.head} and data for block number {pin} is therefore not yet available")
        where = dict(where or {})
        rows, blocks = self.rows[name], self.blocks[name]
        lo, hi = 0, bisect.bisect_right(blocks, pin)
        for key, bound in (("blockNumber", "eq"), ("blockNumber_gte", "lo"), ("blockNumber_gt", "gt"),
                           ("blockNumber_lte", "hi"), ("blockNumber_lt", "lt")):
            if key in where:
                value = where.pop(key)
                if bound in ("eq", "lo"):
                    lo = max(lo, bisect.bisect_left(blocks, value))
                if bound == "gt":
                    lo = max(lo, bisect.bisect_right(blocks, value))
                if bound in ("eq", "hi"):
                    hi = min(hi, bisect.bisect_right(blocks, value))
                if bound == "lt":
                    hi = min(hi, bisect.bisect_left(blocks, value))
        tests = []
        for key, value in where.items():
            field, _, op = key.partition("_")
            value = value.lower() if isinstance(value, str) else value
            tests.append((field, _OPS[op], value))
        natural = orderBy in (None, "blockNumber", "timestamp") and orderDirection != "desc"
        found = []
        for i in range(lo, hi):
            row = rows[i]
            if all(test(row[field], value) for field, test, value in tests):
                found.append(row)
                if natural and len(found) >= skip + first:
                    break
        if not natural:
            found.sort(key=lambda r: (r[orderBy or "id"], r["id"]), reverse=orderDirection == "desc")
        return found[skip:skip + first]


def _schema(store_ref):
    schema = build_schema(SCHEMA)
    schema.type_map["BigInt"].serialize = str
    query = schema.query_type
    for name in ENTITIES:
        query.fields[name].resolve = (lambda n: lambda _root, _info, **kw: store_ref().query(n, **kw))(name)
    query.fields["_meta"].resolve = lambda _root, _info, **kw: {"block": {"number": store_ref().head},
                                                                 "hasIndexingErrors": False}
    return schema


class Drop(Exception):
    """Raised by a handler after doing its work: the connection closes without an answer."""


class _Server:
    """A threaded HTTP server on 127.0.0.1 (port 0 = ephemeral) with fault injection: `faults` is a list
    consumed one per request, each an HTTP status to answer with, or a number of seconds to stall first."""

    def __init__(self, port: int = 0):
        self.faults: list = []
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                outer.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = outer.faults.pop(0) if outer.faults else None
                if isinstance(fault, float):
                    time.sleep(fault)
                elif isinstance(fault, int):
                    self.send_response(fault)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    answer = json.dumps(outer.handle(json.loads(body), fault)).encode()
                except Drop:
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def handle(self, request, fault):
        raise NotImplementedError

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _graphql_answer(schema, request) -> dict:
    """A GraphQL POST body answered against `schema` as a subgraph answers: `data`, and `errors` if any."""
    result = graphql_sync(schema, request["query"], variable_values=request.get("variables"))
    answer = {"data": result.data}
    if result.errors:
        answer["errors"] = [{"message": e.message} for e in result.errors]
    return answer


class SubgraphServer(_Server):
    def __init__(self, data: SubgraphData | None = None, port: int = 0):
        super().__init__(port)
        self.data = data or SubgraphData()
        self.queries: list[str] | None = None  # set to [] to record every query text
        self.schema = _schema(lambda: self.data)

    def handle(self, request, fault):
        if self.queries is not None:
            self.queries.append(request["query"])
        return _graphql_answer(self.schema, request)


SABLIER_SCHEMA = """
scalar BigInt
scalar Bytes
enum OrderDirection { asc desc }
enum ActionCategory { Approval ApprovalForAll Cancel Create Renounce Transfer Withdraw }
input Block_height { number: Int }
type _Block_ { number: Int! }
type _Meta_ { block: _Block_! hasIndexingErrors: Boolean! }
type Asset { id: String! address: Bytes! symbol: String! }
type Action { id: String! category: ActionCategory! addressA: Bytes addressB: Bytes amountA: BigInt amountB: BigInt
  timestamp: BigInt! hash: Bytes! block: BigInt! }
input Action_filter { id_gt: String category: ActionCategory category_in: [ActionCategory!] }
enum Action_orderBy { id timestamp }
type LockupStream { id: String! sender: Bytes! recipient: Bytes! asset: Asset! depositAmount: BigInt!
  intactAmount: BigInt! withdrawnAmount: BigInt! canceled: Boolean! startTime: BigInt! endTime: BigInt!
  timestamp: BigInt!
  actions(skip: Int = 0, first: Int = 100, orderBy: Action_orderBy, orderDirection: OrderDirection,
    where: Action_filter): [Action!]! }
input Asset_filter { address: String }
input LockupStream_filter { id: String id_gt: String sender: String recipient: String asset_: Asset_filter }
enum LockupStream_orderBy { id timestamp }
type Query {
  lockupStreams(skip: Int = 0, first: Int = 100, orderBy: LockupStream_orderBy, orderDirection: OrderDirection,
    where: LockupStream_filter, block: Block_height): [LockupStream!]!
  _meta(block: Block_height): _Meta_
}
"""


class SablierData:
    """The Sablier lockup subgraph's streams as of any block: `streams` (dicts with `id`, `sender`,
    `recipient`, `asset` (token address), `depositAmount`, `endTime`, `blockNumber`) and `actions` (dicts with
    `id`, `stream`, `category`, `addressA`, `addressB`, `amountA`, `amountB`, `timestamp`, `hash`,
    `blockNumber`). A stream's intact, withdrawn and cancelled state at a block follows from its actions up
    to that block, as the subgraph's handlers would have left it."""

    def __init__(self, streams=(), actions=(), head: int = 0):
        self.streams = sorted(streams, key=lambda s: s["id"])
        self.actions = collections.defaultdict(list)
        for action in sorted(actions, key=lambda a: a["id"]):
            self.actions[action["stream"]].append(action)
        self.head = max([head, *(s["blockNumber"] for s in self.streams),
                         *(a["blockNumber"] for a in actions)])

    def query(self, *, first=100, skip=0, orderBy=None, orderDirection=None, where=None, block=None):
        if first > 1000 or skip > 5000:
            raise GraphQLError("The `first` argument must be between 0 and 1000, and `skip` at most 5000")
        pin = block["number"] if block and block.get("number") is not None else self.head
        if pin > self.head:
            raise GraphQLError(f"subgraph has only indexed up to block number {self.head}")
        where = dict(where or {})
        token = (where.pop("asset_", None) or {}).get("address")
        found = []
        for stream in self.streams:
            if stream["blockNumber"] > pin or (token and stream["asset"] != token.lower()):
                continue
            if any(stream[field] != value.lower() if field in ("sender", "recipient") else stream["id"] != value
                   for field, value in where.items() if field != "id_gt"):
                continue
            if "id_gt" in where and not stream["id"] > where["id_gt"]:
                continue
            found.append(self._at(stream, pin))
        found.sort(key=lambda s: (s[orderBy or "id"], s["id"]), reverse=orderDirection == "desc")
        return found[skip:skip + first]

    def _at(self, stream, pin):
        actions = [a for a in self.actions[stream["id"]] if a["blockNumber"] <= pin]
        withdrawn = sum(a["amountB"] for a in actions if a["category"] == "Withdraw")
        refunded = sum(a["amountA"] for a in actions if a["category"] == "Cancel")
        return {**stream, "intactAmount": stream["depositAmount"] - withdrawn - refunded, "withdrawnAmount": withdrawn,
                "canceled": refunded > 0 or any(a["category"] == "Cancel" for a in actions),
                "startTime": stream.get("startTime", 0), "timestamp": stream.get("startTime", 0),
                "asset": {"id": stream["asset"], "address": stream["asset"], "symbol": "GLM"},
                "_actions": actions}


def _actions(stream, _info, first=100, skip=0, orderBy=None, orderDirection=None, where=None):
    if first > 1000:
        raise GraphQLError("The `first` argument must be between 0 and 1000")
    where = where or {}
    rows = [a for a in stream["_actions"]
            if ("category_in" not in where or a["category"] in where["category_in"])
            and ("category" not in where or a["category"] == where["category"])
            and ("id_gt" not in where or a["id"] > where["id_gt"])]
    rows.sort(key=lambda a: (a[orderBy or "id"], a["id"]), reverse=orderDirection == "desc")
    return rows[skip:skip + first]


class SablierSubgraphServer(_Server):
    """The Sablier subgraph's query surface (`lockupStreams` with nested `actions`, `_meta`) over
    `SablierData`."""

    def __init__(self, data: SablierData | None = None, port: int = 0):
        super().__init__(port)
        self.data = data or SablierData()
        self.queries: list[str] = []
        self.schema = build_schema(SABLIER_SCHEMA)
        self.schema.type_map["BigInt"].serialize = str
        query = self.schema.query_type
        query.fields["lockupStreams"].resolve = lambda _root, _info, **kw: self.data.query(**kw)
        query.fields["_meta"].resolve = lambda _root, _info, **kw: {"block": {"number": self.data.head},
                                                                     "hasIndexingErrors": False}
        self.schema.type_map["LockupStream"].fields["actions"].resolve = _actions

    def handle(self, request, fault):
        self.queries.append(request["query"])
        return _graphql_answer(self.schema, request)


class RpcServer(_Server):
    """JSON-RPC over an `EthereumTesterProvider`. A fault that is a dict is answered as a JSON-RPC error."""

    def __init__(self, w3, port: int = 0):
        from web3.datastructures import NamedElementOnion

        super().__init__(port)
        # the provider's own middleware translates between JSON-RPC and eth-tester formats
        self.request = w3.provider.request_func(w3, NamedElementOnion([]))
        self.lock = threading.Lock()
        self.calls = collections.Counter()  # JSON-RPC methods answered
        # per method, faults consumed one per call: "drop" = do it, then close the connection unanswered
        self.method_faults: dict[str, list] = {}
        self.code: dict[str, str] = {}  # eth_getCode answers by lowercase address (e.g. EIP-7702 delegations)

    def _one(self, request, fault):
        from eth_abi import encode
        from eth_tester.exceptions import TransactionFailed
        from eth_utils.exceptions import ValidationError

        if isinstance(fault, dict):
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": fault}
        try:
            self.calls[request["method"]] += 1
            params = request.get("params") or []
            if request["method"] == "eth_getCode" and params[0].lower() in self.code:
                return {"jsonrpc": "2.0", "id": request.get("id"), "result": self.code[params[0].lower()]}
            queued = self.method_faults.get(request["method"])
            method_fault = queued.pop(0) if queued else None
            with self.lock:
                response = self.request(request["method"], request.get("params") or [])
            if method_fault == "drop":
                raise Drop()
        except ValidationError as exc:  # e.g. a resent transaction whose nonce is used: a node's JSON-RPC error
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32000, "message": str(exc)}}
        except TransactionFailed as exc:
            reason = str(exc).removeprefix("execution reverted: ")
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": {
                "code": 3, "message": f"execution reverted: {reason}",
                "data": "0x08c379a0" + encode(["string"], [reason]).hex()}}
        return {"jsonrpc": "2.0", "id": request.get("id"), **{k: _jsonable(v) for k, v in response.items()
                                                               if k in ("result", "error")}}

    def handle(self, request, fault):
        if isinstance(request, list):
            return [self._one(r, fault) for r in request]
        return self._one(request, fault)


def _jsonable(value):
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _event_id(log) -> str:
    return "0x" + bytes(log["transactionHash"]).hex() + f"{log['logIndex']:08x}"


def mirror(w3, contracts: dict) -> SubgraphData:
    """The subgraph's entities for the chain behind `w3`, built as the subgraph's handlers would from the
    Deposits and Vault logs and the Epochs contract. `contracts` maps names to web3 contract objects."""
    timestamps = {}

    def block_time(number):
        if number not in timestamps:
            timestamps[number] = w3.eth.get_block(number)["timestamp"]
        return timestamps[number]

    def base(log):
        return {"id": _event_id(log), "blockNumber": log["blockNumber"], "timestamp": block_time(log["blockNumber"]),
                "transactionHash": "0x" + bytes(log["transactionHash"]).hex()}

    rows = {name: [] for name in ENTITIES}
    deposits, vault = contracts["Deposits"], contracts["Vault"]
    for name, event in (("lockeds", deposits.events.Locked), ("unlockeds", deposits.events.Unlocked)):
        for log in event().get_logs(from_block=0):
            rows[name].append({**base(log), "depositBefore": log["args"]["depositBefore"],
                               "amount": log["args"]["amount"], "user": log["args"]["user"].lower()})
    for log in vault.events.Withdrawn().get_logs(from_block=0):
        rows["withdrawals"].append({**base(log), "amount": log["args"]["amount"], "epoch": log["args"]["epoch"],
                                    "user": log["args"]["user"].lower()})
    for log in vault.events.MerkleRootSet().get_logs(from_block=0):
        rows["vaultMerkleRoots"].append({**base(log), "epoch": log["args"]["epoch"],
                                         "root": "0x" + bytes(log["args"]["root"]).hex()})
    epochs = contracts["Epochs"].functions
    head = w3.eth.get_block("latest")
    props = [epoch_math.EpochProps(*epochs.epochProps(i).call()) for i in range(epochs.epochPropsIndex().call() + 1)]
    for n in range(1, epoch_math.current_epoch(props, head["timestamp"]) + 1):
        t = epoch_math.epoch_timing(props, n)
        rows["epoches"].append({"id": "0x%064x" % n, "epoch": n, "fromTs": t.start, "toTs": t.end,
                                "duration": t.duration, "decisionWindow": t.decision_window, "blockNumber": 0})
    return SubgraphData(rows, head=head["number"])


COMPILED = json.loads((Path(epoch_math.__file__).parent / "contracts" / "compiled.json").read_text())["contracts"]
MULTISIG_KEY = "0x" + "00" * 31 + "01"  # eth-tester's first funded account
GLM = ETH = 10**18
SABLIER_SENDER = "0x00000000000000000000000000000000000000aa"


class Deployment:
    def __init__(self, *, start_in: int = 100, duration: int = 1000, window: int = 400):
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import EthereumTesterProvider, Web3

        self.tester = EthereumTester(PyEVMBackend())
        self.provider = EthereumTesterProvider(self.tester)
        self.w3 = Web3(self.provider)
        self.multisig = self.w3.eth.accounts[0]
        self.rpc = RpcServer(self.w3).start()
        self.start = self.w3.eth.get_block("latest")["timestamp"] + start_in
        self.duration, self.window = duration, window
        self.auth = self.deploy("Auth", self.multisig)
        self.epochs = self.deploy("Epochs", self.start, duration, window, self.auth.address)
        self.glm = self.deploy("Token", 10**27)
        self.deposits = self.deploy("Deposits", self.glm.address)
        self.projects = self.deploy("Proposals", "QmCid", [], self.auth.address)
        self.vault = self.deploy("Vault", self.auth.address)
        self.target = self.deploy("WithdrawalsTarget", self.multisig)
        self.contracts = {"Auth": self.auth, "Epochs": self.epochs, "GLM": self.glm, "Deposits": self.deposits,
                          "Projects": self.projects, "Vault": self.vault, "WithdrawalsTarget": self.target}
        self.subgraph = SubgraphServer().start()
        self.sablier = SablierSubgraphServer().start()  # streams of SABLIER_SENDER: set `sablier.data`
        self.sync_subgraph()

    def stop(self):
        self.rpc.stop()
        self.subgraph.stop()
        self.sablier.stop()

    def deploy(self, name, *args):
        factory = self.w3.eth.contract(abi=COMPILED[name]["abi"], bytecode=COMPILED[name]["bytecode"])
        receipt = self.w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": self.multisig}))
        return self.w3.eth.contract(address=receipt.contractAddress, abi=COMPILED[name]["abi"])

    def settings(self) -> dict:
        return {"CHAIN_BACKEND": "ethereum", "CHAIN_ID": self.w3.eth.chain_id, "ETH_RPC_PROVIDER_URL": self.rpc.url,
                "SUBGRAPH_ENDPOINT": self.subgraph.url, "SABLIER_SUBGRAPH_ENDPOINT": self.sablier.url,
                "SABLIER_SENDER_ADDRESS": SABLIER_SENDER, "SABLIER_EXCLUDED_STREAMS": [], "TESTNET_MULTISIG_PRIVATE_KEY": MULTISIG_KEY,
                "CONTRACTS": {name: c.address for name, c in self.contracts.items()},
                "VAULT_CONFIRM_WITHDRAWALS_ENABLED": True, "ETH_RPC_BACKOFF": 0.01, "SUBGRAPH_TIMEOUT": 5.0,
                "ETH_RPC_TIMEOUT": 5.0, "CHAIN_TX_RECEIPT_TIMEOUT": 5.0}

    # --- how time and events are produced on this chain
    def sync_subgraph(self):
        """The subgraph catches up with the chain."""
        self.subgraph.data = mirror(self.w3, self.contracts)

    def travel(self, timestamp: int):
        """Mine a block at `timestamp` (eth-tester's time travel leaves the latest block one second short)."""
        self.tester.time_travel(timestamp + 1)
        assert self.w3.eth.get_block("latest")["timestamp"] == timestamp
        self.sync_subgraph()

    def fund(self, address: str, *, eth: int = 0, glm: int = 0):
        if eth:
            self.w3.eth.send_transaction({"from": self.multisig, "to": address, "value": eth})
        if glm:
            self.glm.functions.transfer(address, glm).transact({"from": self.multisig})

    def account(self, seed: int):
        from eth_account import Account

        account = Account.from_key(bytes([seed]) * 32)
        self.tester.add_account("0x" + account.key.hex())
        self.fund(account.address, eth=10 * ETH)
        return account

    def lock(self, account, amount: int):
        self.fund(account.address, glm=amount)
        self.glm.functions.approve(self.deposits.address, amount).transact({"from": account.address})
        self.deposits.functions.lock(amount).transact({"from": account.address})

    def unlock(self, account, amount: int):
        self.deposits.functions.unlock(amount).transact({"from": account.address})

    def set_projects(self, epoch: int, addresses: list[str]):
        self.projects.functions.setProposalAddresses(epoch, addresses).transact({"from": self.multisig})

    def wallet_signature(self, wallet, owner, digest: bytes) -> str:
        """The signature the wallet's `isValidSignature` accepts: its owner's of the digest."""
        from eth_account import Account

        return "0x" + Account.unsafe_sign_hash(digest, owner.key).signature.hex()

    def wallet_for(self, owner, glm: int = 0):
        """A contract wallet (EIP-1271) owned by `owner`, locking `glm` through the wallet."""
        wallet = self.deploy("Wallet", owner.address)
        self._lock_through(wallet, owner, glm)
        return wallet

    def safe_for(self, owners: list[str], threshold: int, *, executor=None, glm: int = 0):
        """A Safe-like multisig (our `Safe`: the Safe's getMessageHash and EIP-1271 check) of `owners`,
        locking `glm` through it; `executor` (an owner's account from `account`) sends its calls."""
        safe = self.deploy("Safe", owners, threshold)
        self._lock_through(safe, executor, glm)
        return safe

    def _lock_through(self, wallet, owner, glm: int) -> None:
        if glm:
            self.fund(wallet.address, glm=glm)
            approve = self.glm.functions.approve(self.deposits.address, glm)._encode_transaction_data()
            lock = self.deposits.functions.lock(glm)._encode_transaction_data()
            wallet.functions.execute(self.glm.address, 0, approve).transact({"from": owner.address})
            wallet.functions.execute(self.deposits.address, 0, lock).transact({"from": owner.address})


class LocalStack:
    """A running local stack of our own as the chain of the ethereum backend: the production server
    (scripts/serve.py, CHAIN_BACKEND=local, test settings: the chain's clock moves only when told) on
    `database_url`, whose `/rpc` and `/subgraphs/name/octant` are the node and the subgraph. The same driver as
    `Deployment` (accounts, GLM locks, time travel, projects, a contract wallet, the Vault), through what a
    user of the stack has: the `chain` commands and transactions signed with eth-account and sent to `/rpc`.
    Epoch 1 starts `start_in` seconds after the chain's clock. `stop()` and `start()` again: a restart."""

    ROOT = Path(__file__).resolve().parents[1]

    def __init__(self, database_url: str, *, start_in: int = 100, duration: int = 1000, window: int = 400,
                 env: dict | None = None):
        import os
        import subprocess
        import sys

        from web3 import HTTPProvider, Web3

        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "octant.settings.test", "REDIS_URL": "",
                    "CHAIN_BACKEND": "local", "DATABASE_URL": database_url,
                    "TESTNET_MULTISIG_PRIVATE_KEY": MULTISIG_KEY, **(env or {})}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=self.ROOT, env=self.env, check=True,
                       timeout=120)
        self.server, self.url = None, ""
        self.start_server()
        self.w3 = Web3(HTTPProvider(self.url + "rpc"))
        from octant.chain.blocks import address_of

        self.contracts = {name: self.w3.eth.contract(address=address_of(name), abi=COMPILED[abi]["abi"])
                          for name, abi in (("Auth", "Auth"), ("Epochs", "Epochs"), ("GLM", "Token"),
                                            ("Deposits", "Deposits"), ("Projects", "Proposals"), ("Vault", "Vault"),
                                            ("WithdrawalsTarget", "WithdrawalsTarget"))}
        self.glm, self.deposits, self.vault = self.contracts["GLM"], self.contracts["Deposits"], self.contracts["Vault"]
        self.target = self.contracts["WithdrawalsTarget"]
        self.multisig = self.contracts["Auth"].functions.multisig().call()
        self.start = self.w3.eth.get_block("latest")["timestamp"] + start_in
        self.duration, self.window = duration, window
        self.chain("configure", "--start", self.start, "--duration", duration, "--decision-window", window)
        self.chain("mint", self.multisig, "--eth", 10**6 * ETH)  # the vault job funds the Vault from it

    def start_server(self):
        """Start the server (again: a new process on the same database and port)."""
        import socket
        import subprocess
        import sys

        if self.url:
            port = int(self.url.rsplit(":", 1)[1].strip("/"))
        else:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.server = subprocess.Popen([sys.executable, "scripts/serve.py", "--host", "127.0.0.1", "--port",
                                        str(port), "--processes", "1"], cwd=self.ROOT, env=self.env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                assert self.server.poll() is None and time.monotonic() < deadline, "the stack did not start"
                time.sleep(0.1)

    def stop(self):
        self.server.terminate()
        self.server.wait(timeout=30)

    def settings(self) -> dict:
        return {"CHAIN_BACKEND": "ethereum", "CHAIN_ID": self.w3.eth.chain_id, "ETH_RPC_PROVIDER_URL": self.url + "rpc",
                "SUBGRAPH_ENDPOINT": self.url + "subgraphs/name/octant", "SABLIER_SUBGRAPH_ENDPOINT": "",
                "TESTNET_MULTISIG_PRIVATE_KEY": MULTISIG_KEY,
                "CONTRACTS": {name: c.address for name, c in self.contracts.items()},
                "VAULT_CONFIRM_WITHDRAWALS_ENABLED": True, "ETH_RPC_BACKOFF": 0.01, "SUBGRAPH_TIMEOUT": 5.0,
                "ETH_RPC_TIMEOUT": 5.0, "CHAIN_TX_RECEIPT_TIMEOUT": 5.0}

    def chain(self, *args) -> dict:
        """`manage.py chain ...` on the stack's database; its status line."""
        import subprocess
        import sys

        out = subprocess.run([sys.executable, "manage.py", "chain", *map(str, args)], cwd=self.ROOT, env=self.env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.splitlines()[-1])

    def sync_subgraph(self):
        """Nothing to do: the stack's subgraph reads its chain."""

    def tick(self) -> dict:
        """One run of the stack's beat tick (its snapshots, its vault job), in a process of the stack's."""
        import subprocess
        import sys

        code = "import json; from lifecycle.tasks import epochs_tick_task; print(json.dumps(epochs_tick_task()))"
        out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=self.ROOT, env=self.env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.splitlines()[-1])

    def travel(self, timestamp: int):
        self.chain("time", "--set", timestamp)
        assert self.w3.eth.get_block("latest")["timestamp"] == timestamp

    def fund(self, address: str, *, eth: int = 0, glm: int = 0):
        self.chain("mint", address, "--eth", eth, "--glm", glm)

    def signing(self, account):
        """`.transact({"from": account.address})` signs with the account's key and sends the raw transaction."""
        from web3.middleware import SignAndSendRawMiddlewareBuilder

        self.w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), name=account.address,
                                        layer=0)

    def account(self, seed: int):
        from eth_account import Account

        account = Account.from_key(bytes([seed]) * 32)
        self.signing(account)
        self.fund(account.address, eth=10 * ETH)
        return account

    def lock(self, account, amount: int):
        self.fund(account.address, glm=amount)
        for call in (self.glm.functions.approve(self.deposits.address, amount), self.deposits.functions.lock(amount)):
            assert self.w3.eth.wait_for_transaction_receipt(call.transact({"from": account.address}))["status"] == 1

    def unlock(self, account, amount: int):
        unlock = self.deposits.functions.unlock(amount).transact({"from": account.address})
        assert self.w3.eth.wait_for_transaction_receipt(unlock)["status"] == 1

    def set_projects(self, epoch: int, addresses: list[str]):
        for address in addresses:
            self.chain("project", "add", epoch, address)

    def wallet_for(self, owner, glm: int = 0):
        """A Safe (the local chain's contract wallet) with `owner` as its one owner, its GLM locked by the chain."""
        from octant.core.addresses import checksum

        wallet = checksum("0x" + keccak(b"safe:" + bytes.fromhex(owner.address[2:]))[-20:].hex())
        self.chain("safe", "add", wallet, "--owners", owner.address, "--threshold", 1)
        if glm:
            self.chain("lock", wallet, glm)
        return self.w3.eth.contract(address=wallet, abi=COMPILED["Wallet"]["abi"])

    def wallet_signature(self, wallet, owner, digest: bytes) -> str:
        """The signature a Safe's legacy `isValidSignature` accepts: its owner's of the Safe message hash."""
        from eth_account import Account

        from octant.chain import safes

        message = safes.message_hash(chain_id=self.w3.eth.chain_id, safe=wallet.address, message=digest)
        return "0x" + Account.unsafe_sign_hash(message, owner.key).signature.hex()


class SyntheticEvents:
    """`count` lock or unlock rows computed from their index (nothing stored): `per_block` a block, users
    in turn from `users`; a sequence for `SubgraphData.put`, with `.blocks` the block numbers."""

    def __init__(self, kind: str, count: int, *, per_block: int = 4, users: int = 10_000):
        self.kind, self.count, self.per_block, self.users = kind, count, per_block, users
        self.tag = 1 if kind == "lockeds" else 2
        outer = self

        class Blocks:
            def __len__(self):
                return outer.count

            def __getitem__(self, i):
                return i // outer.per_block + 1

        self.blocks = Blocks()

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        if not 0 <= i < self.count:
            raise IndexError(i)
        return {"id": "0x%02x%062x" % (self.tag, i), "blockNumber": i // self.per_block + 1,
                "timestamp": 1_700_000_000 + (i // self.per_block) * 12, "transactionHash": "0x%064x" % i,
                "user": "0x%040x" % (i % self.users + 1), "depositBefore": 10**21, "amount": 10**18 + i}


def serve_synthetic(events: int, port: int = 0) -> None:
    """Serve `events` lock/unlock events (half each) until killed; prints the URL first."""
    data = SubgraphData()
    for kind in ("lockeds", "unlockeds"):
        rows = SyntheticEvents(kind, events // 2)
        data.put(kind, rows, rows.blocks)
    server = SubgraphServer(data, port=port)
    print(server.url, flush=True)
    server.httpd.serve_forever()


if __name__ == "__main__":  # python -m tests.peers EVENTS [PORT]
    import sys

    serve_synthetic(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0)
