"""The local chain as an Ethereum node (docs/lifecycle.md §3.4): Ethereum JSON-RPC 2.0, single and batch
requests, over the local chain's blocks (octant/chain/blocks.py) and contracts (octant/chain/ledger.py), as
`/rpc` serves it to wallets, the web client and the ethereum backend.

Reads answer at the block asked for (the ledger's current state, at that block's timestamp). A signed
transaction (`eth_sendRawTransaction`: legacy with EIP-155, EIP-2930 or EIP-1559) is checked as a node checks
it (chain id, nonce, gas limit, funds for gas and value), then run: one that reverts is refused with the
contract's revert reason (a JSON-RPC error with code 3 and the `Error(string)` data, as `eth_call` and
`eth_estimateGas` answer), so it takes no nonce; one that succeeds is mined at once, alone in the next block,
with its events. Gas costs `ledger.GAS` per function at the gas price the transaction offers above the base
fee, which is 0 (as every suggested fee here), so a new wallet sends without ETH. Errors are JSON-RPC errors:
-32700 parse, -32600 invalid request, -32601 unknown method, -32602 invalid params, -32000 refused
transactions and unknown blocks, 3 reverts."""
import logging

import rlp
from django.conf import settings
from django.db import transaction
from eth_abi import encode
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_bloom import BloomFilter
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from . import ledger
from .blocks import block_hash, head, last_transaction, mine, number_of_hash, timestamp_of
from .local import LocalChain
from .models import LocalLog, LocalTransaction

logger = logging.getLogger(__name__)

MAX_BATCH = 1000
MAX_LOGS = 10_000
GAS_LIMIT = 30_000_000
EMPTY_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"  # the empty trie's
EMPTY_UNCLES = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
ZERO32 = "0x" + "00" * 32


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: str | None = None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def _revert(exc: ledger.Revert) -> RpcError:
    if not exc.reason:
        return RpcError(3, "execution reverted", "0x")
    return RpcError(3, f"execution reverted: {exc.reason}",
                    "0x08c379a0" + encode(["string"], [exc.reason]).hex())


def answer(payload) -> tuple[object, bool]:
    """The JSON-RPC answer to a parsed request body (a request or a batch; None when nothing is to be answered),
    and whether a transaction was mined (the caller then stores what the apps index)."""
    mined = []
    if isinstance(payload, list):
        if not payload or len(payload) > MAX_BATCH:
            return _error(None, RpcError(-32600, f"a batch holds 1 to {MAX_BATCH} requests")), False
        answers = [_one(request, mined) for request in payload]
        return [a for a in answers if a is not None] or None, bool(mined)
    return _one(payload, mined), bool(mined)


def _error(request_id, exc: RpcError) -> dict:
    error = {"code": exc.code, "message": exc.message}
    if exc.data is not None:
        error["data"] = exc.data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def _one(request, mined: list) -> dict | None:
    if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
        return _error(request.get("id") if isinstance(request, dict) else None,
                      RpcError(-32600, "invalid request"))
    request_id, method = request.get("id"), request["method"]
    params = request.get("params", [])
    try:
        handler = METHODS.get(method)
        if handler is None:
            raise RpcError(-32601, f"the method {method} does not exist/is not available")
        if not isinstance(params, list):
            raise RpcError(-32602, "invalid params: a list is expected")
        try:
            result = handler(*params)
        except TypeError as exc:
            raise RpcError(-32602, f"invalid params: {exc}")
        if method == "eth_sendRawTransaction":
            mined.append(result)
    except RpcError as exc:
        return None if "id" not in request else _error(request_id, exc)
    except Exception:
        logger.exception("rpc: %s failed", method)
        return None if "id" not in request else _error(request_id, RpcError(-32603, "internal error"))
    return None if "id" not in request else {"jsonrpc": "2.0", "id": request_id, "result": result}


# --- parameters

def _quantity(value, name: str = "quantity") -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.startswith("0x") and len(value) <= 66:
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise RpcError(-32602, f"invalid params: {name} must be a 0x-hex quantity")


def _data(value, name: str = "data") -> bytes:
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise RpcError(-32602, f"invalid params: {name} must be 0x-hex bytes")


def _address(value, name: str = "address") -> str:
    try:
        return to_checksum_address(value)
    except (TypeError, ValueError):
        raise RpcError(-32602, f"invalid params: {name} must be an address")


def _hex(value: int) -> str:
    return hex(value)


class ChainAt:
    """The chain as one request sees it: its clock, block 0 and head, read once."""

    def __init__(self):
        self.backend = LocalChain()
        clock = self.backend._clock()
        self.genesis, self.now = clock.genesis, self.backend._read(clock)
        self.head = head(genesis=self.genesis, last=last_transaction(), now=self.now)

    def number(self, tag="latest") -> int:
        """A block tag, number or EIP-1898 object as a number; an unknown block is an error."""
        if isinstance(tag, dict):
            if "blockHash" in tag:
                found = number_of_hash(_data(tag["blockHash"], "blockHash"), genesis=self.genesis)
                if found is None or found > self.head:
                    raise RpcError(-32000, "header not found")
                return found
            tag = tag.get("blockNumber", "latest")
        if tag in ("latest", "pending", "safe", "finalized", None):
            return self.head
        if tag == "earliest":
            return 0
        number = _quantity(tag, "block")
        if number > self.head:
            raise RpcError(-32000, "header not found")
        return number

    def timestamp(self, number: int) -> int:
        return self.now if number == self.head else timestamp_of(number, genesis=self.genesis,
                                                                 before=last_transaction(number))

    def hash(self, number: int) -> str:
        return "0x" + block_hash(number, genesis=self.genesis).hex() if number >= 0 else ZERO32


# --- formats

def _bloom(logs) -> str:
    bloom = BloomFilter()
    for log in logs:
        bloom.add(bytes.fromhex(log.address[2:]))
        for topic in log.topics:
            bloom.add(bytes.fromhex(topic[2:]))
    return "0x" + int(bloom).to_bytes(256, "big").hex()


def _log(log: LocalLog, chain: ChainAt) -> dict:
    tx = log.transaction
    return {"address": log.address, "topics": log.topics, "data": log.data, "blockNumber": _hex(tx.block),
            "blockHash": chain.hash(tx.block), "transactionHash": tx.hash, "transactionIndex": "0x0",
            "logIndex": _hex(log.index), "removed": False}


def _decoded(raw: bytes) -> dict:
    """The fields of a signed transaction, its sender and chain id. RpcError if it is none we take."""
    try:
        if raw[:1] in (b"\x01", b"\x02"):
            fields = dict(TypedTransaction.from_bytes(HexBytes(raw)).as_dict())
            fields["type"] = raw[0]
        elif raw[:1] and raw[0] >= 0xC0:
            nonce, price, gas, to, value, data, v, r, s = rlp.decode(raw)
            fields = {"nonce": _int(nonce), "gasPrice": _int(price), "gas": _int(gas), "to": to, "value": _int(value),
                      "data": data, "v": _int(v), "r": _int(r), "s": _int(s), "type": 0}
            fields["chainId"] = (fields["v"] - 35) // 2 if fields["v"] >= 35 else None
        else:
            raise RpcError(-32000, "transaction type not supported")
        fields["from"] = Account.recover_transaction(raw)
    except RpcError:
        raise
    except Exception:
        raise RpcError(-32000, "invalid transaction: it does not decode, or its signature does not recover")
    fields["to"] = to_checksum_address(bytes(fields["to"])) if fields.get("to") else ""
    fields["data"] = bytes(fields.get("data") or b"")
    return fields


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _transaction(tx: LocalTransaction, chain: ChainAt) -> dict:
    body = {"blockHash": chain.hash(tx.block), "blockNumber": _hex(tx.block), "from": tx.sender,
            "gas": _hex(tx.gas), "gasPrice": _hex(tx.gas_price), "hash": tx.hash, "input": tx.input,
            "nonce": _hex(tx.nonce or 0), "to": tx.to or None, "transactionIndex": "0x0", "value": _hex(tx.value),
            "type": "0x0", "chainId": _hex(settings.CHAIN_ID), "v": "0x0", "r": "0x0", "s": "0x0"}
    if tx.raw:
        fields = _decoded(bytes.fromhex(tx.raw[2:]))
        body.update(type=_hex(fields["type"]), v=_hex(fields["v"]), r=_hex(fields["r"]), s=_hex(fields["s"]))
        if fields["type"]:
            body["accessList"] = [{"address": a["address"], "storageKeys": list(a["storageKeys"])}
                                  for a in fields.get("accessList", ())]
        if fields["type"] == 2:
            body.update(maxFeePerGas=_hex(fields["maxFeePerGas"]),
                        maxPriorityFeePerGas=_hex(fields["maxPriorityFeePerGas"]))
    return body


def _receipt(tx: LocalTransaction, chain: ChainAt) -> dict:
    logs = list(tx.logs.order_by("index"))
    return {"transactionHash": tx.hash, "transactionIndex": "0x0", "blockHash": chain.hash(tx.block),
            "blockNumber": _hex(tx.block), "from": tx.sender, "to": tx.to or None,
            "cumulativeGasUsed": _hex(tx.gas_used), "gasUsed": _hex(tx.gas_used),
            "effectiveGasPrice": _hex(tx.gas_price), "contractAddress": None,
            "logs": [_log(log, chain) for log in logs], "logsBloom": _bloom(logs), "status": "0x1",
            "type": _hex(_decoded(bytes.fromhex(tx.raw[2:]))["type"]) if tx.raw else "0x0"}


def _block(chain: ChainAt, number: int, full) -> dict:
    tx = LocalTransaction.objects.filter(block=number).first()
    logs = list(tx.logs.all()) if tx else []
    return {"number": _hex(number), "hash": chain.hash(number), "parentHash": chain.hash(number - 1),
            "nonce": "0x0000000000000000", "sha3Uncles": EMPTY_UNCLES, "logsBloom": _bloom(logs),
            "transactionsRoot": "0x" + keccak(text=tx.hash).hex() if tx else EMPTY_ROOT, "stateRoot": EMPTY_ROOT,
            "receiptsRoot": "0x" + keccak(text=f"receipt:{tx.hash}").hex() if tx else EMPTY_ROOT,
            "miner": ledger.ZERO_ADDRESS, "difficulty": "0x0", "totalDifficulty": "0x0", "extraData": "0x",
            "size": _hex(600 + len(tx.input) // 2 if tx else 600), "gasLimit": _hex(GAS_LIMIT),
            "gasUsed": _hex(tx.gas_used if tx else 0), "timestamp": _hex(chain.timestamp(number)),
            "transactions": ([_transaction(tx, chain)] if full else [tx.hash]) if tx else [], "uncles": [],
            "baseFeePerGas": "0x0", "mixHash": ZERO32, "withdrawals": [], "withdrawalsRoot": EMPTY_ROOT}


# --- calls

def _call_fields(call) -> tuple[str, str, bytes, int]:
    if not isinstance(call, dict):
        raise RpcError(-32602, "invalid params: a call object is expected")
    sender = _address(call["from"], "from") if call.get("from") else ledger.ZERO_ADDRESS
    to = _address(call["to"], "to") if call.get("to") else ""
    data = _data(call.get("input") or call.get("data") or "0x", "input")
    return sender, to, data, _quantity(call.get("value") or "0x0", "value")


def _simulate(chain: ChainAt, sender: str, to: str, data: bytes, value: int, now: int) -> bytes:
    """Run a call and roll back whatever it wrote; a view at chain time `now`, a write at the chain's time."""
    if not to:
        raise RpcError(-32000, "contract creation is not supported by the local chain")
    _, writes = ledger.describe(to, data)
    with transaction.atomic():
        try:
            if not writes:
                return ledger.run(ledger.Context(sender=sender, value=value, now=now), to, data)
            if value > ledger.balance("ETH", sender):
                raise RpcError(-32000, "insufficient funds for transfer")
            clock = chain.backend._clock(lock=True)
            now = chain.backend._read(clock)
            return ledger.run(ledger.Context(sender=sender, value=value, now=now, mine=lambda: mine(
                genesis=clock.genesis, now=now, sender=sender, to=to, input=data)), to, data)
        except ledger.Revert as exc:
            raise _revert(exc)
        finally:
            transaction.set_rollback(True)


def eth_call(call, block="latest", *overrides):
    chain = ChainAt()
    sender, to, data, value = _call_fields(call)
    return "0x" + _simulate(chain, sender, to, data, value, chain.timestamp(chain.number(block))).hex()


def eth_estimateGas(call, block="latest", *overrides):
    chain = ChainAt()
    sender, to, data, value = _call_fields(call)
    _simulate(chain, sender, to, data, value, chain.timestamp(chain.number(block)))
    return _hex(ledger.gas_of(to, data))


def _next_nonce(address: str) -> int:
    return LocalTransaction.objects.filter(sender=address, nonce__isnull=False).count()


def eth_sendRawTransaction(raw):
    raw = _data(raw, "transaction")
    tx_hash = "0x" + keccak(raw).hex()
    if LocalTransaction.objects.filter(hash=tx_hash).exists():
        raise RpcError(-32000, "already known")
    fields = _decoded(raw)
    if fields.get("chainId") is None:
        raise RpcError(-32000, "only replay-protected (EIP-155) transactions allowed over RPC")
    if fields["chainId"] != settings.CHAIN_ID:
        raise RpcError(-32000, f"invalid chain id {fields['chainId']}: this chain's is {settings.CHAIN_ID}")
    sender, to, data, value = fields["from"], fields["to"], fields["data"], fields["value"]
    if not to:
        raise RpcError(-32000, "contract creation is not supported by the local chain")
    needed = ledger.gas_of(to, data)
    if fields["gas"] < needed:
        raise RpcError(-32000, f"intrinsic gas too low: gas {fields['gas']}, minimum needed {needed}")
    price = fields.get("gasPrice", fields.get("maxFeePerGas", 0))
    tip = fields.get("maxPriorityFeePerGas", price)  # the base fee is 0: the offered tip is the price paid
    chain = LocalChain()
    with transaction.atomic():
        clock = chain._clock(lock=True)  # serialises every write of the chain
        expected = _next_nonce(sender)
        if fields["nonce"] != expected:
            raise RpcError(-32000, f"nonce too {'low' if fields['nonce'] < expected else 'high'}: address {sender}, "
                                   f"tx: {fields['nonce']} state: {expected}")
        cost = fields["gas"] * price + value
        held = ledger.balance("ETH", sender)
        if held < cost:
            raise RpcError(-32000, f"insufficient funds for gas * price + value: balance {held}, tx cost {cost}")
        try:
            with transaction.atomic():
                tx = mine(genesis=clock.genesis, now=chain._read(clock), sender=sender, to=to,
                                        input=data, value=value, nonce=fields["nonce"], raw=raw, gas=needed,
                                        gas_price=min(price, tip))
                ledger.move_eth(sender, ledger.ZERO_ADDRESS, needed * tx.gas_price)  # the fee goes to no one
                ledger.run(ledger.Context(sender=sender, value=value, now=tx.timestamp, mine=lambda: tx), to, data)
        except ledger.Revert as exc:
            raise _revert(exc)
    return tx.hash


# --- reads

def eth_chainId():
    return _hex(settings.CHAIN_ID)


def net_version():
    return str(settings.CHAIN_ID)


def web3_clientVersion():
    return "octant-local/1"


def eth_blockNumber():
    return _hex(ChainAt().head)


def eth_getBlockByNumber(block, full=False):
    chain = ChainAt()
    try:
        number = chain.number(block)
    except RpcError as exc:
        if exc.code == -32000:
            return None  # a future block: not there yet
        raise
    return _block(chain, number, full)


def eth_getBlockByHash(value, full=False):
    chain = ChainAt()
    number = number_of_hash(_data(value, "hash"), genesis=chain.genesis)
    return None if number is None or number > chain.head else _block(chain, number, full)


def eth_getBalance(address, block="latest"):
    chain = ChainAt()
    return _hex(ledger.eth_balance(_address(address), now=chain.timestamp(chain.number(block))))


def eth_getCode(address, block="latest"):
    ChainAt().number(block)
    return "0x" + ledger.code_at(_address(address)).hex()


def eth_getTransactionCount(address, block="latest"):
    ChainAt().number(block)
    return _hex(_next_nonce(_address(address)))


def eth_gasPrice():
    return "0x0"


def eth_maxPriorityFeePerGas():
    return "0x0"


def eth_feeHistory(count, newest="latest", percentiles=None):
    chain = ChainAt()
    newest = chain.number(newest)
    count = min(_quantity(count, "blockCount"), 1024, newest + 1)
    history = {"oldestBlock": _hex(newest - count + 1), "baseFeePerGas": ["0x0"] * (count + 1),
               "gasUsedRatio": [0.0] * count}
    if percentiles:
        history["reward"] = [["0x0"] * len(percentiles) for _ in range(count)]
    return history


def eth_getTransactionByHash(value):
    tx = LocalTransaction.objects.filter(hash=value.lower() if isinstance(value, str) else None).first()
    return _transaction(tx, ChainAt()) if tx else None


def eth_getTransactionReceipt(value):
    tx = LocalTransaction.objects.filter(hash=value.lower() if isinstance(value, str) else None).first()
    return _receipt(tx, ChainAt()) if tx else None


def eth_getLogs(criteria):
    if not isinstance(criteria, dict):
        raise RpcError(-32602, "invalid params: a filter object is expected")
    chain = ChainAt()
    if criteria.get("blockHash"):
        first = last = chain.number({"blockHash": criteria["blockHash"]})
    else:
        first, last = chain.number(criteria.get("fromBlock", "latest")), chain.number(criteria.get("toBlock", "latest"))
    logs = LocalLog.objects.filter(transaction__block__gte=first, transaction__block__lte=last)
    addresses = criteria.get("address")
    if addresses:
        addresses = addresses if isinstance(addresses, list) else [addresses]
        logs = logs.filter(address__in=[_address(a) for a in addresses])
    topics = criteria.get("topics") or []
    if not isinstance(topics, list) or len(topics) > 4:
        raise RpcError(-32602, "invalid params: topics must be a list of at most 4")
    wanted = [None if t is None else {x.lower() for x in (t if isinstance(t, list) else [t])} for t in topics]
    if wanted and wanted[0]:
        logs = logs.filter(topic0__in=wanted[0])
    found = []
    for log in logs.select_related("transaction").order_by("transaction__block", "index").iterator():
        if all(w is None or (i < len(log.topics) and log.topics[i] in w) for i, w in enumerate(wanted)):
            found.append(_log(log, chain))
            if len(found) > MAX_LOGS:
                raise RpcError(-32005, f"query returned more than {MAX_LOGS} results")
    return found


def net_listening():
    return True


def eth_syncing():
    return False


def eth_accounts():
    return []


METHODS = {name: function for name, function in globals().items()
           if callable(function) and name.split("_")[0] in ("eth", "net", "web3")}
