"""The Octant subgraph of the local chain (docs/lifecycle.md §4.4): graph-node's query API over the subgraph's real
schema, with the entities its mappings build, read from the local chain's blocks, transactions and events.

The API schema is built from Octant's `schema.graphql` by `tools/thegraph_schema.py` (graph-node's generation:
collections with `first`, `skip`, `orderBy`, `orderDirection`, `where` with the operator suffixes and
`and`/`or`, single entities by id, `block: {number | hash | number_gte}` pinning, `_meta`), both from
OCTANT_SUBGRAPH_DIR, run once per process at the first query; nothing of it is copied here. An entity is
built as the subgraph's mapping builds it (its AssemblyScript handlers, `src/` there), from what the chain
holds up to the pinned block: `Locked`/`Unlocked` and the `LockedSummary*` from the Deposits events,
`Withdrawal` and `VaultMerkleRoot` from the Vault's, `Epoch` for every started epoch (the block handler's
`getCurrentEpoch()` sees each one, as there is a block every second), `ProjectsMetadata*` from the
multisig's `setProposalAddresses` calls. Ids are as the mappings make them: the transaction hash and the log
index (`concatI32`, little-endian), the epoch as 4 little-endian bytes. The local chain never calls
`setCID`, so `proposalsCid` is its `cid()`, "". An entity type of the schema that no mapping here builds
(none today) answers a GraphQL error."""
import subprocess
import sys
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from graphql import (GraphQLError, GraphQLList, GraphQLNonNull, GraphQLObjectType, build_schema, graphql_sync,
                     parse, validate)

from . import epoch_math
from .blocks import address_of, event_topic, number_of_hash, selector
from .ledger import GLM_SUPPLY, _props
from .models import LocalLog, LocalTransaction
from .rpc import ChainAt

MAX_FIRST = 1000
DEPLOYMENT = "octant-local"


class SchemaMissing(Exception):
    """OCTANT_SUBGRAPH_DIR holds no schema.graphql and tools/thegraph_schema.py."""


@cache
def api_schema():
    """graph-node's API schema of Octant's schema.graphql, built by the subgraph's tool (run once)."""
    folder = Path(settings.OCTANT_SUBGRAPH_DIR)
    source, tool = folder / "schema.graphql", folder / "tools" / "thegraph_schema.py"
    if not (source.is_file() and tool.is_file()):
        raise SchemaMissing(f"The Octant subgraph's schema is not available: OCTANT_SUBGRAPH_DIR ({folder}) must "
                            "hold schema.graphql and tools/thegraph_schema.py")
    sdl = subprocess.run([sys.executable, str(tool), str(source)], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    schema = build_schema(sdl)
    missing = [name for name in _entity_types(schema) if name not in BUILDERS]
    for name, field in schema.query_type.fields.items():
        entity = _unwrap(field.type).name
        if name == "_meta":
            field.resolve = _meta
        elif entity in missing:
            field.resolve = _not_built(entity)
        elif isinstance(_strip(field.type), GraphQLList):
            field.resolve = _collection(entity)
        else:
            field.resolve = _single(entity)
    schema.type_map["BigInt"].serialize = str
    schema.type_map["BigDecimal"].serialize = lambda value: format(Decimal(value).normalize(), "f")
    return schema


def _strip(kind):
    return kind.of_type if isinstance(kind, GraphQLNonNull) else kind


def _unwrap(kind):
    while isinstance(kind, (GraphQLNonNull, GraphQLList)):
        kind = kind.of_type
    return kind


def _entity_types(schema) -> list[str]:
    return [_unwrap(f.type).name for name, f in schema.query_type.fields.items()
            if name != "_meta" and isinstance(_strip(f.type), GraphQLList)]


def _malformed(body) -> dict | None:
    """What is wrong with the shape of a GraphQL POST body (answered 400), or None."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return {"errors": [{"message": "The request must be a JSON object with a `query` string"}]}
    if body.get("variables") is not None and not isinstance(body["variables"], dict):
        return {"errors": [{"message": "`variables` must be an object"}]}
    return None


def _answer(result) -> tuple[dict, int]:
    """graph-node's answer to an executed query: `data`, and `errors` if any."""
    answer = {"data": result.data}
    if result.errors:
        answer["errors"] = [e.formatted for e in result.errors]
    return answer, 200


def execute(body) -> tuple[dict, int]:
    """A GraphQL POST body answered as graph-node answers it: `data`, and `errors` if any; the HTTP status."""
    if error := _malformed(body):
        return error, 400
    try:
        schema = api_schema()
    except SchemaMissing as exc:
        return {"errors": [{"message": str(exc)}]}, 503
    try:
        document = parse(body["query"])
    except GraphQLError as exc:
        return {"errors": [exc.formatted]}, 200
    errors = validate(schema, document)
    if errors:
        return {"errors": [e.formatted for e in errors]}, 200
    result = graphql_sync(schema, body["query"], variable_values=body.get("variables"),
                          operation_name=body.get("operationName"),
                          context_value={"chain": ChainAt(), "built": {}})
    return _answer(result)


# The RegenStaker subgraph (Octant v2's staking, a separate subgraph the web client also asks): the local
# chain deploys no RegenStaker, so it holds no deposits; its `deposits` collection answers an empty list.
REGEN_STAKER_SCHEMA = build_schema("""
scalar BigInt
scalar Bytes
input Deposit_filter { owner: String owner_in: [String!] regenStaker: String depositId: BigInt }
type Deposit { id: ID! depositId: BigInt! balanceWei: BigInt! owner: Bytes! regenStaker: Bytes! }
type Query { deposits(first: Int, skip: Int, where: Deposit_filter): [Deposit!]! }
""")


def execute_regen_staker(body) -> tuple[dict, int]:
    """A GraphQL POST body to the RegenStaker subgraph: `deposits` of the local chain (there are none)."""
    if error := _malformed(body):
        return error, 400
    result = graphql_sync(REGEN_STAKER_SCHEMA, body["query"], root_value={"deposits": lambda info, **_: []},
                          variable_values=body.get("variables"), operation_name=body.get("operationName"))
    return _answer(result)


# --- resolvers

def _pin(info, block) -> int:
    chain = info.context["chain"]
    if not block:
        return chain.head
    if block.get("hash"):
        number = number_of_hash(bytes.fromhex(block["hash"].removeprefix("0x")), genesis=chain.genesis)
        if number is None or number > chain.head:
            raise GraphQLError(f"no block with hash {block['hash']}")
        return number
    number = block.get("number", block.get("number_gte"))
    if number is not None and number > chain.head:
        raise GraphQLError(f"Failed to decode `block.number` value: `subgraph {DEPLOYMENT} has only indexed up to "
                           f"block number {chain.head} and data for block number {number} is therefore not yet "
                           f"available`")
    return chain.head if number is None or "number" not in block else number


def _entities(info, entity: str, pin: int) -> list[dict]:
    key = (entity, pin)
    built = info.context["built"]
    if key not in built:
        built[key] = BUILDERS[entity](info.context["chain"], pin)
    return built[key]


def _not_built(entity: str):
    def resolve(root, info, **args):
        raise GraphQLError(f"The local chain builds no {entity} entities")
    return resolve


def _single(entity: str):
    def resolve(root, info, id, block=None, **args):
        kinds = _kinds(info.schema, entity)
        wanted = _normal(kinds["id"], id)
        return next((e for e in _entities(info, entity, _pin(info, block)) if e["id"] == wanted), None)
    return resolve


def _collection(entity: str):
    def resolve(root, info, skip=0, first=100, orderBy=None, orderDirection=None, where=None, block=None, **args):
        if not 0 <= first <= MAX_FIRST:
            raise GraphQLError(f"The `first` argument must be between 0 and {MAX_FIRST}, but is {first}")
        if skip < 0:
            raise GraphQLError(f"The `skip` argument must be between 0 and 4294967295, but is {skip}")
        kinds = _kinds(info.schema, entity)
        rows = [e for e in _entities(info, entity, _pin(info, block)) if _matches(e, where or {}, kinds)]
        field = orderBy or "id"
        rows.sort(key=lambda e: (_key(e[field]), e["id"]), reverse=orderDirection == "desc")
        return rows[skip:skip + first]
    return resolve


def _meta(root, info, block=None):
    chain = info.context["chain"]
    number = _pin(info, block)
    return {"block": {"number": number, "hash": chain.hash(number), "timestamp": chain.timestamp(number),
                      "parentHash": chain.hash(number - 1)},
            "deployment": DEPLOYMENT, "hasIndexingErrors": False}


# --- filters

def _kinds(schema, entity: str) -> dict[str, tuple[str, bool]]:
    """Field -> (scalar name, is a list) of an entity type."""
    kind = schema.type_map[entity]
    assert isinstance(kind, GraphQLObjectType)
    return {name: (_unwrap(f.type).name, isinstance(_strip(f.type), GraphQLList)) for name, f in kind.fields.items()}


def _normal(kind: tuple[str, bool], value):
    scalar, many = kind
    if many and isinstance(value, list):
        return [_normal((scalar, False), v) for v in value]
    if value is None:
        return None
    if scalar in ("BigInt", "Int", "Int8", "Timestamp"):
        return int(value)
    if scalar == "BigDecimal":
        return Decimal(str(value))
    if scalar == "Bytes":
        return str(value).lower()
    return value


def _key(value):
    return tuple(value) if isinstance(value, list) else value


TEXT_OPS = {"contains": lambda a, b: b in a, "starts_with": lambda a, b: a.startswith(b),
            "ends_with": lambda a, b: a.endswith(b)}
OPS = {"": lambda a, b: a == b, "not": lambda a, b: a != b, "gt": lambda a, b: a > b, "lt": lambda a, b: a < b,
       "gte": lambda a, b: a >= b, "lte": lambda a, b: a <= b, "in": lambda a, b: a in b,
       "not_in": lambda a, b: a not in b}


def _matches(entity: dict, where: dict, kinds: dict) -> bool:
    for key, value in where.items():
        if key in ("and", "or"):
            found = [_matches(entity, w, kinds) for w in value or []]
            if not (all(found) if key == "and" else any(found)):
                return False
            continue
        field, op = _split(key, kinds)
        if field is None:
            raise GraphQLError(f"The local subgraph does not filter by `{key}`")
        kind = kinds[field]
        if not _test(entity[field], op, value, kind):
            return False
    return True


def _split(key: str, kinds: dict) -> tuple[str | None, str]:
    if key in kinds:
        return key, ""
    for field in sorted(kinds, key=len, reverse=True):
        if key.startswith(field + "_"):
            return field, key[len(field) + 1:]
    return None, ""


def _test(actual, op: str, value, kind: tuple[str, bool]) -> bool:
    negate = op.startswith("not_") and op not in ("not_in",)
    base = op[4:] if negate else op
    nocase = base.endswith("_nocase")
    base = base.removesuffix("_nocase")
    if kind[1]:  # a list field: contains all of the given items, or equals
        wanted = _normal(kind, value) or []
        if base == "contains":
            result = all(w in actual for w in wanted)
        elif base in ("", "not"):
            result = (actual == wanted) == (base == "")
        else:
            raise GraphQLError(f"Unsupported list filter `_{op}`")
        return result != negate
    if base in TEXT_OPS:
        a, b = str(actual), str(_normal(kind, value))
        if nocase:
            a, b = a.lower(), b.lower()
        return TEXT_OPS[base](a, b) != negate
    if op in ("in", "not_in"):
        return OPS[op](actual, [_normal(kind, v) for v in value])
    return OPS[op](actual, _normal(kind, value))


# --- the mappings: entities at a block

def _event_id(tx_hash: str, index: int) -> str:
    """`event.transaction.hash.concatI32(event.logIndex)`."""
    return tx_hash + index.to_bytes(4, "little").hex()


def _i32(number: int) -> str:
    """`Bytes.fromI32(number)`."""
    return "0x" + number.to_bytes(4, "little").hex()


def _words(data: str) -> list[int]:
    raw = bytes.fromhex(data[2:])
    return [int.from_bytes(raw[i:i + 32], "big") for i in range(0, len(raw), 32)]


def _address_word(word: int) -> str:
    return "0x" + word.to_bytes(32, "big")[12:].hex()


def _logs(contract: str, events: list[str], pin: int):
    return (LocalLog.objects.filter(address=address_of(contract), topic0__in=[event_topic(contract, e) for e in events],
                                    transaction__block__lte=pin)
            .select_related("transaction").order_by("transaction__block", "index"))


def _base(log) -> dict:
    tx = log.transaction
    return {"id": _event_id(tx.hash, log.index), "blockNumber": tx.block, "timestamp": tx.timestamp,
            "transactionHash": tx.hash, "_block": tx.block}


def _deposit_events(chain, pin):
    locked = event_topic("Deposits", "Locked")
    for log in _logs("Deposits", ["Locked", "Unlocked"], pin):
        before, amount, _when, user = _words(log.data)
        yield log.topic0 == locked, {**_base(log), "depositBefore": before, "amount": amount,
                                     "user": _address_word(user)}


def lockeds(chain, pin):
    return [e for lock, e in _deposit_events(chain, pin) if lock]


def unlockeds(chain, pin):
    return [e for lock, e in _deposit_events(chain, pin) if not lock]


def _summaries(chain, pin) -> list[dict]:
    """`addLockedSummary` after each lock and unlock: the running total and its ratio to the GLM supply the
    mapping assumes (10**27)."""
    total, rows = 0, []
    for lock, event in _deposit_events(chain, pin):
        total += event["amount"] if lock else -event["amount"]
        rows.append({**{k: event[k] for k in ("id", "blockNumber", "timestamp", "transactionHash", "_block")},
                     "glmSupply": GLM_SUPPLY, "lockedTotal": total, "lockedRatio": Decimal(total) / GLM_SUPPLY})
    return rows


def locked_summary_snapshots(chain, pin):
    return _summaries(chain, pin)


def locked_summary_latests(chain, pin):
    rows = _summaries(chain, pin)
    return [{**rows[-1], "id": "latest"}] if rows else []


def withdrawals(chain, pin):
    rows = []
    for log in _logs("Vault", ["Withdrawn"], pin):
        user, amount, epoch = _words(log.data)
        rows.append({**_base(log), "amount": amount, "epoch": epoch, "user": _address_word(user)})
    return rows


def vault_merkle_roots(chain, pin):
    rows = []
    for log in _logs("Vault", ["MerkleRootSet"], pin):
        epoch, root = _words(log.data)
        rows.append({**_base(log), "epoch": epoch, "root": "0x" + root.to_bytes(32, "big").hex()})
    return rows


def epoches(chain, pin):
    """The block handler's: an entity for each epoch `getCurrentEpoch()` has returned by the pinned block."""
    props = _props()
    rows = []
    for epoch in range(1, epoch_math.current_epoch(props, chain.timestamp(pin)) + 1):
        timing = epoch_math.epoch_timing(props, epoch)
        rows.append({"id": _i32(epoch), "epoch": epoch, "fromTs": timing.start, "toTs": timing.end,
                     "duration": timing.duration, "decisionWindow": timing.decision_window})
    return rows


def _project_calls(pin):
    """The multisig's `setProposalAddresses(epoch, addresses)` calls to the Projects contract, in block order."""
    from eth_abi import decode  # lazy, as everything of eth-abi here: the ABI loads with the first query

    call = "0x" + selector("setProposalAddresses", ["uint256", "address[]"]).hex()
    for tx in LocalTransaction.objects.filter(to=address_of("Projects"), input__startswith=call,
                                              block__lte=pin).order_by("block"):
        epoch, addresses = decode(["uint256", "address[]"], bytes.fromhex(tx.input[10:]))
        yield tx, epoch, [a.lower() for a in addresses]


def projects_metadata_per_epoches(chain, pin):
    per_epoch = {}
    for tx, epoch, addresses in _project_calls(pin):
        per_epoch[epoch] = {"id": _i32(epoch), "epoch": epoch, "proposalsCid": "", "projectsAddresses": addresses,
                            "_block": tx.block}
    return list(per_epoch.values())


def projects_metadata_accumulateds(chain, pin):
    everyone = []
    for _tx, _epoch, addresses in _project_calls(pin):
        everyone += [a for a in addresses if a not in everyone]
    return [{"id": _i32(0), "projectsAddresses": everyone}] if everyone else []


BUILDERS = {"Locked": lockeds, "Unlocked": unlockeds, "Withdrawal": withdrawals, "VaultMerkleRoot": vault_merkle_roots,
            "LockedSummaryLatest": locked_summary_latests, "LockedSummarySnapshot": locked_summary_snapshots,
            "Epoch": epoches, "ProjectsMetadataPerEpoch": projects_metadata_per_epoches,
            "ProjectsMetadataAccumulated": projects_metadata_accumulateds}
