"""The local chain's blocks and transactions (docs/lifecycle.md §3.4), as `/rpc` and the local subgraph show them.

The chain has a block for each second of its clock since block 0 (`ChainClock.genesis`), and one more block for
each transaction, which is alone in its block. Only the blocks holding a transaction are stored
(`LocalTransaction.block`): between two of them the chain has an empty block a second, so a block's timestamp
follows from its number and the last transaction at or before it, and the head at chain time `now` is the
last transaction's block plus the seconds since it. A new transaction goes into the block after the head, at
`now`: a block a reader has seen never changes (no transaction lands in it later), so block numbers and
timestamps never decrease and a subgraph query pinned to a block answers the same later. Every write holds
the clock's row lock, which orders the transactions.

Events are ABI-encoded as our contracts (octant/chain/contracts/Octant.sol, with Octant's signatures) emit them,
by a small encoder of their types (eth-abi and eth-utils would cost every `chain` command ~0.4 s). Pure but
for the reads and writes of `LocalTransaction` and `LocalLog`."""
import json
from functools import cache
from pathlib import Path

from eth_hash.auto import keccak

from octant.core.addresses import checksum

from .models import LocalLog, LocalTransaction

COMPILED = json.loads((Path(__file__).parent / "contracts" / "compiled.json").read_text())["contracts"]
# the contract each of the local chain's addresses runs (our contracts carry Octant's function and event signatures)
CONTRACT_ABI = {"Epochs": "Epochs", "Deposits": "Deposits", "GLM": "Token", "Projects": "Proposals",
                "Vault": "Vault", "Auth": "Auth", "WithdrawalsTarget": "WithdrawalsTarget",
                "RegenStaker": "RegenStaker"}
ZERO_ADDRESS = "0x" + "00" * 20


@cache
def address_of(name: str) -> str:
    """The local chain's stable address of a contract (CONTRACT_ABI's names) or of a keyless actor."""
    return checksum("0x" + keccak(f"octant-local:{name}".encode())[-20:].hex())


def _word(kind: str, value) -> bytes:
    if kind == "address":
        return bytes(12) + bytes.fromhex(value[2:])
    if kind == "bytes32":
        return bytes(value)
    return int(value).to_bytes(32, "big")  # uintN, bool


def encode_args(types: list[str], values: list) -> bytes:
    """ABI encoding of static types (uintN, bool, address, bytes32) and `address[]`, what the chain's own
    transactions and events hold."""
    head, tail = b"", b""
    for kind, value in zip(types, values):
        if kind == "address[]":
            head += (32 * len(types) + len(tail)).to_bytes(32, "big")
            tail += len(value).to_bytes(32, "big") + b"".join(_word("address", v) for v in value)
        else:
            head += _word(kind, value)
    return head + tail


def selector(name: str, types: list[str]) -> bytes:
    return keccak(f"{name}({','.join(types)})".encode())[:4]


def head(*, genesis: int, last: tuple[int, int] | None, now: int) -> int:
    """The head block at chain time `now`, after the last transaction's (block, timestamp)."""
    if last is None:
        return max(0, now - genesis)
    return last[0] + max(0, now - last[1])


def timestamp_of(number: int, *, genesis: int, before: tuple[int, int] | None) -> int:
    """The timestamp of block `number`, after the last transaction's (block, timestamp) at or before it."""
    if before is None:
        return genesis + number
    return before[1] + (number - before[0])


def block_hash(number: int, *, genesis: int) -> bytes:
    """24 bytes that name this chain's life (a `chain reset` starts another), then the number: a hash maps
    back to its block."""
    return keccak(f"octant-local:{genesis}:block:{number}".encode())[:24] + number.to_bytes(8, "big")


def number_of_hash(value: bytes, *, genesis: int) -> int | None:
    number = int.from_bytes(value[24:], "big") if len(value) == 32 else -1
    return number if number >= 0 and block_hash(number, genesis=genesis) == value else None


def last_transaction(at_or_before: int | None = None) -> tuple[int, int] | None:
    rows = LocalTransaction.objects.order_by("-block")
    if at_or_before is not None:
        rows = rows.filter(block__lte=at_or_before)
    return rows.values_list("block", "timestamp").first()


def mine(*, genesis: int, now: int, sender: str, to: str = "", input: bytes = b"", value: int = 0,
         nonce: int | None = None, raw: bytes = b"", gas: int = 0, gas_price: int = 0) -> LocalTransaction:
    """A new transaction in the block after the head at `now` (the caller holds the clock's row lock). A
    signed one is named by the hash of its bytes; one made by the chain by its block."""
    number = head(genesis=genesis, last=last_transaction(), now=now) + 1
    tx_hash = keccak(raw if raw else f"octant-local:{genesis}:tx:{number}".encode())
    return LocalTransaction.objects.create(
        block=number, timestamp=now, hash="0x" + tx_hash.hex(), sender=sender, to=to, nonce=nonce, value=value,
        input="0x" + input.hex(), gas=gas, gas_used=gas, gas_price=gas_price, raw="0x" + raw.hex() if raw else "")


@cache
def _event(contract: str, name: str) -> dict:
    return next(e for e in COMPILED[CONTRACT_ABI.get(contract, contract)]["abi"]
                if e["type"] == "event" and e["name"] == name)


@cache
def event_topic(contract: str, name: str) -> str:
    return "0x" + keccak(f"{name}({','.join(i['type'] for i in _event(contract, name)['inputs'])})".encode()).hex()


def emit(tx: LocalTransaction, contract: str, name: str, **args) -> LocalLog:
    """Log event `name` of `contract` (a CONTRACT_ABI name) from its address in `tx`: indexed arguments as
    topics, the others ABI-encoded as data."""
    abi = _event(contract, name)
    indexed = [i for i in abi["inputs"] if i["indexed"]]
    plain = [i for i in abi["inputs"] if not i["indexed"]]
    topics = [event_topic(contract, name)] + ["0x" + _word(i["type"], args[i["name"]]).hex() for i in indexed]
    index = LocalLog.objects.filter(transaction=tx).count()
    data = encode_args([i["type"] for i in plain], [args[i["name"]] for i in plain])
    return LocalLog.objects.create(transaction=tx, index=index, address=address_of(contract), topic0=topics[0],
                                   topics=topics, data="0x" + data.hex())
