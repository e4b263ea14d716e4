"""The local chain's contracts over the database (docs/lifecycle.md §3.4): GLM, Deposits, Epochs, Proposals, Vault,
Auth, WithdrawalsTarget and Octant v2's RegenStaker (its minimum stake, which the web client reads) at their
local addresses (`blocks.address_of`), and the Safes of `chain safe add`, answering in the ABI of our contracts
(octant/chain/contracts/Octant.sol, which carry Octant's signatures) with
their checks, revert reasons and events. `run` executes one call: a view reads the ledger, any other function
writes it in the transaction the caller mined (`Context.tx`), and a failed check raises `Revert` with the
contract's reason, so the caller's database transaction rolls everything back.

The state is the local chain's ledger, shared with the `chain` commands (LocalChain uses the same writes):
ETH and GLM balances (`LocalBalance`), allowances, the deposits (`LocalDepositEvent`), vault roots and
withdrawals, projects, the epoch schedule and the clock. It is current state only: a read at an earlier block
answers from the state now, but the Epochs contract reads the block's timestamp. The Deposits contract holds the
GLM locked in it (the sum of its locks and unlocks) plus any GLM sent to it directly; the WithdrawalsTarget holds
the ETH sent to it plus the staking proceeds of the last ended epoch (`chain proceeds`), as a testnet target
holds an epoch's proceeds until the multisig takes them, so the ethereum backend pointed at `/rpc` reads the
same proceeds the local chain has. GLM's supply is 10**27, as the subgraph counts it; what no address holds is
the faucet's (`chain mint`). The writes the `chain` commands share import no eth-abi or eth-utils (the calls of
`/rpc` load them): every command would wait ~0.4 s for them."""
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.db.models import F, Max, Sum
from eth_hash.auto import keccak

from octant.core.addresses import checksum

from . import epoch_math
from .blocks import COMPILED, CONTRACT_ABI, ZERO_ADDRESS, address_of, emit, encode_args
from .models import (LocalAllowance, LocalBalance, LocalDepositEvent, LocalEpochProps, LocalProject, LocalSafe,
                     LocalStakingProceeds, LocalTransaction, LocalVaultRoot, LocalWithdrawal)

GLM_SUPPLY = 10**27
ZERO_ROOT = "0x" + "00" * 32
# a Safe's functions the backends and wallets call (Safe 1.3: the compatibility fallback handler's included)
SAFE_ABI = [
    {"type": "function", "name": "getOwners", "stateMutability": "view", "inputs": [],
     "outputs": [{"type": "address[]", "name": ""}]},
    {"type": "function", "name": "getThreshold", "stateMutability": "view", "inputs": [],
     "outputs": [{"type": "uint256", "name": ""}]},
    {"type": "function", "name": "getMessageHash", "stateMutability": "view",
     "inputs": [{"type": "bytes", "name": "message"}], "outputs": [{"type": "bytes32", "name": ""}]},
    {"type": "function", "name": "isValidSignature", "stateMutability": "view",
     "inputs": [{"type": "bytes", "name": "_data"}, {"type": "bytes", "name": "_signature"}],
     "outputs": [{"type": "bytes4", "name": ""}]},
]
# functions of Octant's contracts (their ABIs in the subgraph and the web client) that ours lack
EXTRA_ABI = {
    "GLM": [{"type": "function", "name": name, "stateMutability": "nonpayable",
             "inputs": [{"type": "address", "name": "spender"}, {"type": "uint256", "name": "value"}],
             "outputs": [{"type": "bool", "name": ""}]} for name in ("increaseAllowance", "decreaseAllowance")],
    "Deposits": [{"type": "function", "name": name, "stateMutability": "view", "inputs": [],
                  "outputs": [{"type": "address", "name": ""}]} for name in ("auth", "tracker")],
}
EIP1271_LEGACY_MAGIC = bytes.fromhex("20c13b0b")
# gas each function is charged (and estimated at): about what the contracts cost on a real chain
GAS = {"transfer": 52_000, "approve": 46_000, "transferFrom": 60_000, "lock": 90_000, "unlock": 70_000,
       "batchWithdraw": 80_000, "setMerkleRoot": 50_000, "receive": 21_055}
PLAIN_GAS = 21_000
REGEN_STAKER_MINIMUM = 100 * 10**18  # Octant.sol's RegenStaker.minimumStakeAmount


class Revert(Exception):
    """The contract reverted; `reason` is its message ("" for none)."""

    def __init__(self, reason: str = ""):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Context:
    """One call: who sends it with how much ETH, at which chain time, and, for a call that writes, the transaction
    its writes and events belong to (`tx()`, mined by the caller on first use)."""

    sender: str
    value: int
    now: int
    mine: Callable[[], LocalTransaction] | None = None
    _tx: LocalTransaction | None = field(default=None, repr=False)

    def tx(self) -> LocalTransaction:
        if self._tx is None:
            if self.mine is None:
                raise Revert("a read-only call cannot write")
            self._tx = self.mine()
        return self._tx


# --- the state, shared with the `chain` commands (LocalChain)

def multisig() -> str:
    """Auth.multisig(): TESTNET_MULTISIG_PRIVATE_KEY's address (so the ethereum backend, pointed at `/rpc`, sets
    roots with it), else a keyless address only the chain itself acts for."""
    if settings.TESTNET_MULTISIG_PRIVATE_KEY:
        return _key_address(settings.TESTNET_MULTISIG_PRIVATE_KEY)
    return address_of("multisig")


@cache
def _key_address(key: str) -> str:
    from eth_account import Account  # lazy: eth_account costs the `chain` command ~0.3 s

    return Account.from_key(key).address


def balance(asset: str, address: str) -> int:
    held = LocalBalance.objects.filter(asset=asset, address=address).values_list("amount", flat=True).first() or 0
    if asset == "GLM" and address == address_of("Deposits"):
        return held + locked_total()
    return held


def eth_balance(address: str, *, now: int) -> int:
    """eth_getBalance at chain time `now` (the WithdrawalsTarget's holds the last ended epoch's proceeds)."""
    held = balance("ETH", address)
    if address != address_of("WithdrawalsTarget"):
        return held
    ended = epoch_math.current_epoch(_props(), now) - 1
    return held + (LocalStakingProceeds.objects.filter(epoch=ended).values_list("amount", flat=True).first() or 0)


def _add(asset: str, address: str, amount: int) -> None:
    row, _ = LocalBalance.objects.select_for_update().get_or_create(asset=asset, address=address)
    if row.amount + amount < 0:
        raise Revert("ERC20: transfer amount exceeds balance" if asset == "GLM" else "insufficient funds")
    LocalBalance.objects.filter(pk=row.pk).update(amount=F("amount") + amount)


def move_eth(source: str, to: str, amount: int) -> None:
    """Move ETH (from ZERO_ADDRESS: mint it)."""
    if amount:
        if source != ZERO_ADDRESS:
            _add("ETH", source, -amount)
        _add("ETH", to, amount)


def move_glm(tx: LocalTransaction, source: str, to: str, amount: int, *, locked: bool = False) -> None:
    """Move GLM and log the Transfer (from ZERO_ADDRESS: mint it). `locked`: into or out of the Deposits contract
    by a lock or unlock, whose GLM the deposits ledger counts."""
    deposits = address_of("Deposits")
    if source != ZERO_ADDRESS and not (locked and source == deposits):
        _add("GLM", source, -amount)
    if not (locked and to == deposits):
        _add("GLM", to, amount)
    emit(tx, "GLM", "Transfer", **{"from": source, "to": to, "value": amount})


def allowance(owner: str, spender: str) -> int:
    return LocalAllowance.objects.filter(owner=owner, spender=spender).values_list("amount", flat=True).first() or 0


def deposit_of(address: str) -> int:
    """Deposits.deposits(address): GLM locked through Octant's Deposits contract (Sablier streams aside)."""
    return _locked(LocalDepositEvent.objects.filter(address=address))


def locked_total() -> int:
    return _locked(LocalDepositEvent.objects.all())


def _locked(events) -> int:
    sums = events.filter(stream__isnull=True).values("type").annotate(total=Sum("amount"))
    totals = {row["type"]: int(row["total"]) for row in sums}
    return totals.get("lock", 0) - totals.get("unlock", 0)


def record_deposit(tx: LocalTransaction, kind: str, address: str, amount: int) -> LocalDepositEvent:
    """Deposits.lock/unlock's bookkeeping once the checks passed: the GLM moved, the ledger row (its
    `before`/`after` count streams too, as the deposit index keeps them), the events."""
    octant_before = deposit_of(address)
    last = LocalDepositEvent.objects.filter(address=address).order_by("-timestamp", "-id").first()
    before = last.after if last else 0
    lock = kind == "lock"
    deposits = address_of("Deposits")
    move_glm(tx, address if lock else deposits, deposits if lock else address, amount, locked=True)
    event = LocalDepositEvent.objects.create(address=address, type=kind, amount=amount, before=before,
                                             after=before + amount if lock else before - amount,
                                             timestamp=tx.timestamp, transaction=tx)
    emit(tx, "Deposits", "Locked" if lock else "Unlocked", depositBefore=octant_before, amount=amount,
         when=tx.timestamp, user=address)
    return event


def set_root(tx: LocalTransaction, epoch: int, root: str) -> LocalVaultRoot:
    row = LocalVaultRoot.objects.create(epoch=epoch, root=root, set_at=tx.timestamp, transaction=tx)
    emit(tx, "Vault", "MerkleRootSet", epoch=epoch, root=bytes.fromhex(root.removeprefix("0x")))
    return row


def project_addresses(epoch: int) -> list[str]:
    """Projects.getProposalAddresses(epoch): the epoch's list, else the latest earlier non-empty one."""
    latest = LocalProject.objects.filter(epoch__lte=epoch).aggregate(e=Max("epoch"))["e"]
    return list(LocalProject.objects.filter(epoch=latest).order_by("id").values_list("address", flat=True))


def last_claimed_epoch(address: str) -> int:
    return LocalWithdrawal.objects.filter(address=address).aggregate(e=Max("epoch"))["e"] or 0


# --- the contracts' functions, by contract and name

FUNCTIONS: dict[tuple[str, str], Callable] = {}


def function(contract: str, name: str = ""):
    def register(handler):
        FUNCTIONS[(contract, name or handler.__name__.split("__")[-1])] = handler
        return handler
    return register


def _props() -> list[epoch_math.EpochProps]:
    return [epoch_math.EpochProps(p.from_epoch, p.to_epoch, p.from_ts, p.duration, p.decision_window)
            for p in LocalEpochProps.objects.all()]


def _started(ctx) -> list[epoch_math.EpochProps]:
    props = _props()
    if not props or props[0].from_ts > ctx.now:
        raise Revert("HN:Epochs/not-started-yet")
    return props


def _current_props(ctx) -> epoch_math.EpochProps:
    """The Epochs contract's `_currentProps()`: the last entry, or the one before while the last has not begun."""
    props = _props()
    if not props:
        raise Revert()
    if props[-1].from_ts > ctx.now:
        if len(props) < 2:
            raise Revert()  # the contract's index underflow
        return props[-2]
    return props[-1]


def _address(value: str) -> str:
    return checksum(value)


@function("Epochs")
def epochs__start(ctx):
    props = _props()
    return props[0].from_ts if props else 0


@function("Epochs")
def epochs__isStarted(ctx):
    props = _props()
    return bool(props) and ctx.now >= props[0].from_ts


@function("Epochs")
def epochs__epochPropsIndex(ctx):
    return max(0, len(_props()) - 1)


@function("Epochs")
def epochs__epochProps(ctx, index):
    props = _props()
    if index >= len(props):
        return 0, 0, 0, 0, 0
    p = props[index]
    return p.from_epoch, p.to_epoch, p.from_ts, p.duration, p.decision_window


@function("Epochs")
def epochs__getCurrentEpoch(ctx):
    return epoch_math.current_epoch(_started(ctx), ctx.now)


@function("Epochs")
def epochs__getEpochDuration(ctx):
    return _current_props(ctx).duration


@function("Epochs")
def epochs__getDecisionWindow(ctx):
    return _current_props(ctx).decision_window


@function("Epochs")
def epochs__getCurrentEpochEnd(ctx):
    p = _current_props(ctx)
    return p.from_ts + p.duration * (1 + epochs__getCurrentEpoch(ctx) - p.from_epoch)


@function("Epochs")
def epochs__getCurrentEpochProps(ctx):
    p = _current_props(ctx)
    return p.from_epoch, p.to_epoch, p.from_ts, p.duration, p.decision_window


@function("Epochs")
def epochs__isDecisionWindowOpen(ctx):
    return epoch_math.is_decision_window_open(_started(ctx), ctx.now)


@function("Epochs")
def epochs__getPendingEpoch(ctx):
    pending = epoch_math.pending_epoch(_started(ctx), ctx.now)
    if pending is None:
        raise Revert("HN:Epochs/not-pending-epoch")
    return pending


@function("Epochs")
def epochs__getFinalizedEpoch(ctx):
    props = _started(ctx)
    current, window = epoch_math.current_epoch(props, ctx.now), epoch_math.is_decision_window_open(props, ctx.now)
    if current <= 1 or (current == 2 and window):
        raise Revert("HN:Epochs/not-finalized")
    return epoch_math.finalized_epoch(props, ctx.now)


@function("GLM")
def glm__name(ctx):
    return "Golem Network Token"


@function("GLM")
def glm__symbol(ctx):
    return "GLM"


@function("GLM")
def glm__decimals(ctx):
    return 18


@function("GLM")
def glm__totalSupply(ctx):
    return GLM_SUPPLY


@function("GLM")
def glm__balanceOf(ctx, owner):
    return balance("GLM", _address(owner))


@function("GLM")
def glm__allowance(ctx, owner, spender):
    return allowance(_address(owner), _address(spender))


@function("GLM")
def glm__transfer(ctx, to, value):
    move_glm(ctx.tx(), ctx.sender, _address(to), value)
    return True


@function("GLM")
def glm__approve(ctx, spender, value):
    spender = _address(spender)
    LocalAllowance.objects.update_or_create(owner=ctx.sender, spender=spender, defaults={"amount": value})
    emit(ctx.tx(), "GLM", "Approval", owner=ctx.sender, spender=spender, value=value)
    return True


def spend_allowance(owner: str, spender: str, value: int) -> None:
    row = LocalAllowance.objects.select_for_update().filter(owner=owner, spender=spender).first()
    if row is None or row.amount < value:
        raise Revert("ERC20: insufficient allowance")
    LocalAllowance.objects.filter(pk=row.pk).update(amount=F("amount") - value)


@function("GLM")
def glm__increaseAllowance(ctx, spender, value):
    return glm__approve(ctx, spender, allowance(ctx.sender, _address(spender)) + value)


@function("GLM")
def glm__decreaseAllowance(ctx, spender, value):
    held = allowance(ctx.sender, _address(spender))
    if held < value:
        raise Revert("ERC20: decreased allowance below zero")
    return glm__approve(ctx, spender, held - value)


@function("GLM")
def glm__transferFrom(ctx, source, to, value):
    source = _address(source)
    spend_allowance(source, ctx.sender, value)
    move_glm(ctx.tx(), source, _address(to), value)
    return True


@function("Deposits")
def deposits__glm(ctx):
    return address_of("GLM")


@function("Deposits")
def deposits__tracker(ctx):
    return ZERO_ADDRESS  # no deposits tracker


@function("Deposits")
def deposits__deposits(ctx, user):
    return deposit_of(_address(user))


@function("Deposits")
def deposits__lock(ctx, amount):
    if amount == 0:
        raise Revert("HN:Common/invalid-argument")
    spend_allowance(ctx.sender, address_of("Deposits"), amount)
    record_deposit(ctx.tx(), "lock", ctx.sender, amount)


@function("Deposits")
def deposits__unlock(ctx, amount):
    if deposit_of(ctx.sender) < amount:
        raise Revert("HN:Deposits/deposit-is-smaller")
    record_deposit(ctx.tx(), "unlock", ctx.sender, amount)


def _only_multisig(ctx) -> None:
    if ctx.sender != multisig():
        raise Revert("HN/unauthorized-caller")


@function("Epochs", "auth")
@function("Deposits", "auth")
@function("Projects", "auth")
@function("Vault", "auth")
def octant_base__auth(ctx):
    return address_of("Auth")


@function("Auth")
def auth__multisig(ctx):
    return multisig()


@function("Auth")
def auth__pendingOwner(ctx):
    return ZERO_ADDRESS


@function("Projects")
def projects__cid(ctx):
    return ""  # the local chain keeps no projects CID on chain


@function("Projects")
def projects__epochs(ctx):
    return address_of("Epochs")


@function("Projects")
def projects__getProposalAddresses(ctx, epoch):
    return project_addresses(epoch)


@function("Vault")
def vault__merkleRoots(ctx, epoch):
    root = LocalVaultRoot.objects.filter(epoch=epoch).values_list("root", flat=True).first() or ZERO_ROOT
    return bytes.fromhex(root.removeprefix("0x"))


@function("Vault")
def vault__lastClaimedEpoch(ctx, user):
    return last_claimed_epoch(_address(user))


def _verify(proof, root: bytes, leaf: bytes) -> bool:
    node = leaf
    for sibling in proof:
        node = keccak(b"".join(sorted([node, sibling])))
    return root != bytes(32) and node == root


@function("Vault")
def vault__verify(ctx, proof, root, leaf):
    return _verify(proof, root, leaf)


@function("Vault")
def vault__batchWithdraw(ctx, payloads):
    if not payloads:
        raise Revert("HN:Vault/empty-payloads")
    claimed, total = last_claimed_epoch(ctx.sender), 0
    for epoch, amount, proof in payloads:
        if epoch <= claimed:
            raise Revert("HN:Vault/already-claimed")
        leaf = keccak(keccak(encode_args(["address", "uint256"], [ctx.sender, amount])))
        if not _verify(proof, vault__merkleRoots(ctx, epoch), leaf):
            raise Revert("HN:Vault/invalid-merkle-proof")
        claimed, total = epoch, total + amount
    tx = ctx.tx()
    LocalWithdrawal.objects.create(address=ctx.sender, amount=total, epoch=claimed, transaction=tx)
    emit(tx, "Vault", "Withdrawn", user=ctx.sender, amount=total, epoch=claimed)
    if balance("ETH", address_of("Vault")) < total:
        raise Revert("HN:Common/failed-to-send")
    move_eth(address_of("Vault"), ctx.sender, total)


@function("Vault")
def vault__setMerkleRoot(ctx, epoch, root):
    _only_multisig(ctx)
    if root == bytes(32):
        raise Revert("HN:Vault/invalid-merkle-root")
    if LocalVaultRoot.objects.filter(epoch=epoch).exists():
        raise Revert("HN:Vault/merkle-root-already-set")
    set_root(ctx.tx(), epoch, "0x" + root.hex())


@function("WithdrawalsTarget")
def target__version(ctx):
    return 1


@function("WithdrawalsTarget")
def target__multisig(ctx):
    return multisig()


@function("RegenStaker")
def regen_staker__minimumStakeAmount(ctx):
    return REGEN_STAKER_MINIMUM


@function("Safe")
def safe__getOwners(ctx, safe):
    return safe.owners


@function("Safe")
def safe__getThreshold(ctx, safe):
    return safe.threshold


@function("Safe")
def safe__getMessageHash(ctx, safe, message):
    from . import safes  # lazy: eth-abi, which the `chain` commands do without

    return safes.message_hash(chain_id=settings.CHAIN_ID, safe=safe.address, message=message)


@function("Safe")
def safe__isValidSignature(ctx, safe, data, signature):
    """The compatibility fallback handler's legacy EIP-1271: the owners signed getMessageHash(data)."""
    from . import safes  # lazy, as above

    valid = safes.check_signatures(owners=safe.owners, threshold=safe.threshold, signatures=signature,
                                   message_hash=safes.message_hash(chain_id=settings.CHAIN_ID, safe=safe.address,
                                                                   message=data))
    return EIP1271_LEGACY_MAGIC if valid else b"\xff\xff\xff\xff"


# --- calls

RECEIVERS = {"Vault", "WithdrawalsTarget"}  # contracts with a `receive()`


@cache
def _selectors(contract: str) -> dict[bytes, dict]:
    from eth_utils import function_abi_to_4byte_selector  # lazy: the calls of `/rpc` load eth-utils, no command

    abi = SAFE_ABI if contract == "Safe" else COMPILED[CONTRACT_ABI[contract]]["abi"] + EXTRA_ABI.get(contract, [])
    return {function_abi_to_4byte_selector(f): f for f in abi if f["type"] == "function"}


@cache
def _contracts() -> dict[str, str]:
    return {address_of(name): name for name in CONTRACT_ABI}


def contract_at(address: str) -> tuple[str, LocalSafe | None] | None:
    """(contract name, its Safe row for a Safe) of the code at `address`, or None for an account without code."""
    name = _contracts().get(address)
    if name:
        return name, None
    safe = LocalSafe.objects.filter(address=address).first()
    return ("Safe", safe) if safe else None


def code_at(address: str) -> bytes:
    found = contract_at(address)
    if found is None:
        return b""
    return bytes.fromhex(COMPILED[CONTRACT_ABI.get(found[0], "Wallet")]["bytecode"].removeprefix("0x"))


def describe(to: str, data: bytes) -> tuple[dict | None, bool]:
    """(the function `data` calls on `to`, or None for a plain transfer or an unknown function; whether the call
    can write), without running it."""
    found = contract_at(to) if to else None
    if found is None:
        return None, bool(to)
    fn = _selectors(found[0]).get(data[:4]) if len(data) >= 4 else None
    if fn is None:
        return None, not data and found[0] in RECEIVERS
    return fn, fn["stateMutability"] not in ("view", "pure")


def gas_of(to: str, data: bytes) -> int:
    fn, _ = describe(to, data)
    if fn is None:
        return GAS["receive"] if contract_at(to) else PLAIN_GAS
    return GAS.get(fn["name"], 30_000) + (8_000 * (len(data) // 32) if fn["name"] == "batchWithdraw" else 0)


def run(ctx: Context, to: str, data: bytes) -> bytes:
    """Execute a call to `to` with `data` (and `ctx.value` ETH): the return data, ABI-encoded. Raises Revert. An
    account without code takes the ETH and returns nothing, as on a real chain."""
    from eth_abi import decode, encode  # lazy, as in `_selectors`
    from eth_abi.exceptions import DecodingError
    from eth_utils.abi import collapse_if_tuple

    found = contract_at(to) if to else None
    if found is None:
        if ctx.value:
            move_eth(ctx.sender, to, ctx.value)
        return b""
    name, safe = found
    if not data and name in RECEIVERS:  # receive()
        move_eth(ctx.sender, to, ctx.value)
        return b""
    fn = _selectors(name).get(data[:4]) if len(data) >= 4 else None
    if fn is None:
        raise Revert()  # no such function and no fallback
    handler = FUNCTIONS.get((name, fn["name"]))
    if handler is None:  # the owner's setters: setEpochProps, setProposalAddresses, setCID, emergencyWithdraw, ...
        raise Revert(f"{fn['name']} is not offered by the local chain: its `chain` commands set what it would")
    if ctx.value and fn["stateMutability"] != "payable":
        raise Revert()
    try:
        args = decode([collapse_if_tuple(i) for i in fn["inputs"]], data[4:])
    except (DecodingError, OverflowError, ValueError):
        raise Revert()
    result = handler(ctx, safe, *args) if safe else handler(ctx, *args)
    outputs = [collapse_if_tuple(o) for o in fn["outputs"]]
    if not outputs:
        return b""
    return encode(outputs, [result] if len(outputs) == 1 else list(result))
