"""The `ethereum` backend: Octant's contracts read with web3 (docs/lifecycle.md §3.3) and the subgraph's events
indexed with gql (§4). Reads retry transient RPC failures (rate limits, timeouts, 5xx) with backoff and
never retry a revert. Indexing returns rows; the apps' services store them (deposit events, streams,
projects); `index()` stores what this backend keeps in tables of its own (vault withdrawals and roots)."""
import json
import logging
import time
from collections.abc import Iterator
from decimal import Decimal
from functools import cached_property, lru_cache, partial
from pathlib import Path

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from eth_account import Account
from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import (BadFunctionCallOutput, ContractLogicError, TimeExhausted, TransactionNotFound,
                             Web3RPCError)
from web3.middleware import ExtraDataToPOAMiddleware

from octant.core.exceptions import ChainError, InvalidMultisigAddress

from . import epoch_math, proceeds
from .base import Batch, ChainBackend
from .models import ChainTransaction, IndexCursor, IndexedVaultRoot, IndexedWithdrawal, StoredProceeds
from .subgraph import SablierSubgraph, Subgraph

logger = logging.getLogger(__name__)

ABIS = {name: c["abi"] for name, c in json.loads(
    (Path(__file__).parent / "contracts" / "compiled.json").read_text())["contracts"].items()}
# our contracts carry Octant's function and event signatures; these name the ones each address holds
CONTRACT_ABI = {"Epochs": "Epochs", "Deposits": "Deposits", "GLM": "Token", "Projects": "Proposals",
                "Vault": "Vault", "Auth": "Auth", "WithdrawalsTarget": "WithdrawalsTarget"}
EIP1271_LEGACY_MAGIC = bytes.fromhex("20c13b0b")
ZERO_ROOT = b"\0" * 32
DEPOSIT_ENTITIES = ("lockeds", "unlockeds")


def _transient(exc: Exception) -> bool:
    """Worth retrying: the node was busy, slow or unreachable. A revert never is."""
    if isinstance(exc, ContractLogicError):
        return False
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, TimeoutError, ConnectionError)):
        return True
    if isinstance(exc, requests.HTTPError):
        return exc.response is not None and (exc.response.status_code == 429 or exc.response.status_code >= 500)
    if isinstance(exc, Web3RPCError):
        text = str(exc).lower()
        return any(word in text for word in ("rate", "limit", "timeout", "busy", "-32005", "429"))
    return False


class EthereumChain(ChainBackend):
    name = "ethereum"

    def __init__(self, *, w3: Web3 | None = None):
        self._w3 = w3
        self._epoch_cache: dict[int, epoch_math.EpochTiming] = {}

    # --- plumbing
    @cached_property
    def w3(self) -> Web3:
        if self._w3 is None:
            if not settings.ETH_RPC_PROVIDER_URL:
                raise ChainError("ETH_RPC_PROVIDER_URL is not set")
            self._w3 = Web3(Web3.HTTPProvider(settings.ETH_RPC_PROVIDER_URL,
                                              request_kwargs={"timeout": settings.ETH_RPC_TIMEOUT},
                                              exception_retry_configuration=None))
            self._w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        return self._w3

    @cached_property
    def subgraph(self) -> Subgraph:
        return Subgraph(settings.SUBGRAPH_ENDPOINT, timeout=settings.SUBGRAPH_TIMEOUT,
                        page_size=settings.SUBGRAPH_PAGE_SIZE)

    @cached_property
    def sablier(self) -> SablierSubgraph:
        return SablierSubgraph(settings.SABLIER_SUBGRAPH_ENDPOINT, timeout=settings.SUBGRAPH_TIMEOUT,
                               page_size=settings.SUBGRAPH_PAGE_SIZE)

    def contract(self, name: str):
        address = settings.CONTRACTS.get(name)
        if not address:
            raise ChainError(f"The {name} contract address is not configured")
        return self.w3.eth.contract(address=to_checksum_address(address), abi=ABIS[CONTRACT_ABI[name]])

    def rpc(self, call, *args, **kwargs):
        """`call(*args)` with retries and exponential backoff on transient failures; a revert raises at once."""
        attempts = settings.ETH_RPC_RETRIES + 1
        for attempt in range(attempts):
            try:
                return call(*args, **kwargs)
            except Exception as exc:
                if not _transient(exc) or attempt == attempts - 1:
                    raise
                delay = settings.ETH_RPC_BACKOFF * 2**attempt
                logger.warning("ethereum: transient RPC error (%s), retry %s in %.2fs", exc, attempt + 1, delay)
                time.sleep(delay)

    def _read(self, function, *, block="latest", reverted=None):
        """A contract read; `reverted` is returned where the contract reverts (when given)."""
        try:
            return self.rpc(function.call, block_identifier=block)
        except ContractLogicError:
            if reverted is None:
                raise
            return reverted

    # --- time and epochs
    def _head(self):
        return self.rpc(self.w3.eth.get_block, "latest")

    def now(self) -> int:
        return self._head()["timestamp"]

    def current_epoch(self) -> int:
        return self._read(self.contract("Epochs").functions.getCurrentEpoch(), reverted=0)

    def pending_epoch(self) -> int | None:
        return self._read(self.contract("Epochs").functions.getPendingEpoch(), reverted=False) or None

    def finalized_epoch(self) -> int:
        return self._read(self.contract("Epochs").functions.getFinalizedEpoch(), reverted=0)

    def is_decision_window_open(self) -> bool:
        return self._read(self.contract("Epochs").functions.isDecisionWindowOpen(), reverted=False)

    def epoch_view(self) -> tuple[int, int, int | None, int, bool]:
        """All five read at one block, so they agree."""
        head = self._head()
        epochs = self.contract("Epochs").functions
        block = head["number"]
        current = self._read(epochs.getCurrentEpoch(), block=block, reverted=0)
        window = self._read(epochs.isDecisionWindowOpen(), block=block, reverted=False)
        pending = self._read(epochs.getPendingEpoch(), block=block, reverted=False) or None
        finalized = self._read(epochs.getFinalizedEpoch(), block=block, reverted=0)
        return head["timestamp"], current, pending, finalized, window

    def _props(self) -> list[epoch_math.EpochProps]:
        epochs = self.contract("Epochs").functions
        index = self._read(epochs.epochPropsIndex())
        return [epoch_math.EpochProps(*self._read(epochs.epochProps(i))) for i in range(index + 1)]

    def epoch_timing(self, epoch: int) -> epoch_math.EpochTiming | None:
        """Started epochs from the subgraph's `Epoch` entity (as the reference reads them), later ones from
        the contract's epoch props."""
        if epoch in self._epoch_cache:
            return self._epoch_cache[epoch]
        if epoch <= self.current_epoch():
            row = self.subgraph.epoch(epoch)
            if row is None:
                return None
            timing = epoch_math.EpochTiming(epoch, int(row["fromTs"]), int(row["duration"]),
                                            int(row["decisionWindow"]))
            self._epoch_cache[epoch] = timing  # a started epoch's timing never changes
            return timing
        return epoch_math.epoch_timing(self._props(), epoch)

    def status(self) -> dict:
        now, current, pending, finalized, window = self.epoch_view()
        props = self._props()
        timing = epoch_math.epoch_timing(props, current) if current else None
        return {"now": now, "currentEpoch": current, "pendingEpoch": pending, "finalizedEpoch": finalized,
                "epochStart": timing.start if timing else (props[0].from_ts if props else None),
                "epochEnd": timing.end if timing else None, "decisionWindowOpen": window,
                "chainId": self.chain_id(), "blockHeight": self.block_height(),
                "indexedHeight": IndexCursor.block_of("lockeds")}

    # --- money
    def staking_proceeds(self, epoch: int) -> int:
        """Testnets: the WithdrawalsTarget balance less EPOCH_2_STAKING_PROCEEDS_SURPLUS; mainnet: Etherscan
        and Bitquery over the epoch's blocks (docs/lifecycle.md §5.2). An ended epoch's figure is stored the first
        time it is read, so the snapshot and every later read agree."""
        stored = StoredProceeds.objects.filter(epoch=epoch).first()
        if stored:
            return stored.amount
        if settings.CHAIN_ID == 1:
            timing = self.epoch_timing(epoch)
            if timing is None:
                return 0
            amount = proceeds.mainnet_proceeds(settings.CONTRACTS["WithdrawalsTarget"], start=timing.start,
                                               end=min(timing.end, self.now()))
        else:
            balance = self.rpc(self.w3.eth.get_balance, to_checksum_address(settings.CONTRACTS["WithdrawalsTarget"]))
            amount = max(0, balance - settings.EPOCH_2_STAKING_PROCEEDS_SURPLUS)
        if epoch < self.current_epoch():
            StoredProceeds.objects.get_or_create(epoch=epoch, defaults={"amount": amount})
            return StoredProceeds.objects.get(epoch=epoch).amount
        return amount

    def total_locked(self) -> int:
        return self._read(self.contract("GLM").functions.balanceOf(self.contract("Deposits").address))

    # --- indexing
    def _batches(self, entities, pinned: int) -> Iterator[tuple[str, int, int, list[dict]]]:
        """(entity, since, last block, rows) for each batch of pages (complete blocks) past the entity's cursor,
        up to the `pinned` block."""
        for entity in entities:
            since = IndexCursor.block_of(entity)
            if since >= pinned:
                continue
            for last_block, rows in self.subgraph.pages(entity, since=since, pinned=pinned,
                                                         batch=settings.SUBGRAPH_BATCH_ROWS):
                yield entity, since, last_block, rows

    def deposit_event_batches(self) -> Iterator[Batch]:
        """`lockeds` and `unlockeds` from the subgraph past their cursors, read at one pinned block; each
        batch's `commit()` moves its entity's cursor to the batch's last block."""
        pinned = self.subgraph.head()
        for entity, since, last_block, rows in self._batches(DEPOSIT_ENTITIES, pinned):
            yield Batch(rows=[_deposit_event(entity, r) for r in rows],
                        commit=partial(IndexCursor.advance, entity, last_block), entity=entity, block=last_block,
                        since=since, pinned=pinned)

    def index(self, *, progress=None) -> dict:
        """One pass over what this backend keeps itself, pinned to the subgraph's current block: vault
        withdrawals and merkle roots from where the last pass stopped. Each batch of pages (complete blocks) is
        stored with its cursor in one transaction, so a pass that fails midway resumes where it stopped, and
        nothing is added twice. `progress(entity, done, block, since, pinned)` is called after each batch
        (`done` rows so far, indexed up to `block` of since..pinned). Deposit events, streams and projects are
        the apps' to store (`deposit_event_batches`, `sablier_stream_batches`, `project_batches`)."""
        pinned = self.subgraph.head()
        counts = {"withdrawals": 0, "vaultRoots": 0, "block": pinned}
        done = {}
        for entity, since, last_block, rows in self._batches(("withdrawals", "vaultMerkleRoots"), pinned):
            with transaction.atomic():
                if entity == "withdrawals":
                    counts["withdrawals"] += _store(IndexedWithdrawal, [IndexedWithdrawal(
                        key=r["id"], address=to_checksum_address(r["user"]), amount=int(r["amount"]),
                        epoch=int(r["epoch"]), timestamp=int(r["timestamp"]), block_number=int(r["blockNumber"]),
                        transaction_hash=r["transactionHash"]) for r in rows])
                else:
                    counts["vaultRoots"] += _store(IndexedVaultRoot, [IndexedVaultRoot(
                        epoch=int(r["epoch"]), root=r["root"], timestamp=int(r["timestamp"]),
                        block_number=int(r["blockNumber"])) for r in rows], key="epoch")
                IndexCursor.advance(entity, last_block)
            done[entity] = done.get(entity, 0) + len(rows)
            if progress:
                progress(entity, done[entity], last_block, since, pinned)
        return counts

    def sablier_stream_batches(self) -> Iterator[Batch]:
        """The GLM streams of SABLIER_SENDER_ADDRESS from the Sablier subgraph, all read at one pinned block,
        a page (by id) a batch, every stream of the page (the storing side skips the unchanged ones). Without
        SABLIER_SUBGRAPH_ENDPOINT there is nothing to index."""
        if not settings.SABLIER_SUBGRAPH_ENDPOINT:
            return
        pinned = self.sablier.head()
        for page in self.sablier.streams(sender=settings.SABLIER_SENDER_ADDRESS, token=self.contract("GLM").address,
                                         pinned=pinned):
            yield Batch(rows=page, entity="lockupStreams")

    def sablier_excluded_streams(self) -> tuple[int, ...]:
        return tuple(settings.SABLIER_EXCLUDED_STREAMS)

    def project_batches(self, *, stored_epochs: set[int], current_epoch: int) -> Iterator[Batch]:
        """Once epoch 1 has started: the epochs with no projects stored yet, and the current and next (their
        lists may change), in one batch."""
        if current_epoch:
            epochs = [e for e in range(1, current_epoch + 2) if e >= current_epoch or e not in stored_epochs]
            yield Batch(rows=self.project_rows(epochs), entity="projects")

    def project_rows(self, epochs) -> list[dict]:
        """`{"epoch", "address"}` rows from `Projects.getProposalAddresses` (which falls back to the latest
        earlier non-empty list) for each epoch."""
        projects = self.contract("Projects").functions
        return [{"epoch": epoch, "address": to_checksum_address(address)}
                for epoch in epochs for address in self._read(projects.getProposalAddresses(epoch))]

    def projects_cids(self, epochs: set[int]) -> dict[int, str]:
        """On mainnet (CHAIN_ID 1) entry N of MAINNET_PROPOSAL_CIDS for epoch N, as v2 keeps the history;
        `Projects.cid()` (read once) for the epochs beyond that list and on every other chain."""
        listed = settings.MAINNET_PROPOSAL_CIDS if settings.CHAIN_ID == 1 else []
        cids = {epoch: listed[epoch - 1] for epoch in epochs if 1 <= epoch <= len(listed)}
        if len(cids) < len(epochs):
            current = self._read(self.contract("Projects").functions.cid())
            cids.update({epoch: current for epoch in epochs if epoch not in cids})
        return cids

    # --- the Vault
    def vault_merkle_root(self, epoch: int) -> str | None:
        row = IndexedVaultRoot.objects.filter(epoch=epoch).first()
        if row:
            return row.root
        root = self._read(self.contract("Vault").functions.merkleRoots(epoch))
        return None if root == ZERO_ROOT else "0x" + root.hex()

    def set_vault_merkle_root(self, epoch: int, root: str, *, fund: int = 0) -> None:
        """Fund the Vault with `fund` wei and set the epoch's merkle root, from TESTNET_MULTISIG_PRIVATE_KEY.

        Exactly once per epoch, even across dead workers: both transactions are signed with consecutive
        nonces and committed to the journal (`ChainTransaction`) before the first is sent; every later run
        resends the same signed bytes (the same hashes) until both receipts are in. Call it outside a database
        transaction, so the journal is committed before anything is sent."""
        rows = self._vault_journal(epoch, root, fund)
        for row in rows:
            self._send_and_confirm(row)

    def _vault_journal(self, epoch: int, root: str, fund: int) -> list:
        keys = [f"vault-fund:{epoch}", f"vault-root:{epoch}"]
        existing = list(ChainTransaction.objects.filter(key__in=keys).order_by("nonce"))
        if existing:
            return existing
        if not settings.TESTNET_MULTISIG_PRIVATE_KEY:
            raise ChainError("TESTNET_MULTISIG_PRIVATE_KEY is not set")
        account = Account.from_key(settings.TESTNET_MULTISIG_PRIVATE_KEY)
        vault = self.contract("Vault")
        chain_id = self.chain_id()
        with transaction.atomic():
            # one journal at a time: the nonce follows the last journalled one as well as the chain's
            last = ChainTransaction.objects.select_for_update().filter(sender=account.address).order_by("-nonce").first()
            nonce = max(self.rpc(self.w3.eth.get_transaction_count, account.address, "pending"),
                        last.nonce + 1 if last else 0)
            fees = self._fees()
            txs = []
            if fund:
                txs.append((keys[0], {"to": vault.address, "value": fund, "gas": 60_000, "data": b""}))
            call = vault.functions.setMerkleRoot(epoch, bytes.fromhex(root.removeprefix("0x")))
            gas = self.rpc(call.estimate_gas, {"from": account.address})
            txs.append((keys[1], {"to": vault.address, "value": 0, "gas": gas * 5 // 4,
                                  "data": call._encode_transaction_data()}))
            rows = []
            for i, (key, tx) in enumerate(txs):
                signed = account.sign_transaction({**tx, **fees, "nonce": nonce + i, "chainId": chain_id, "type": 2})
                rows.append(ChainTransaction(key=key, sender=account.address, nonce=nonce + i,
                                             tx_hash="0x" + signed.hash.hex(), raw="0x" + signed.raw_transaction.hex()))
            try:
                with transaction.atomic():
                    ChainTransaction.objects.bulk_create(rows)
            except IntegrityError:  # another worker journalled them first: theirs are sent
                pass
        return list(ChainTransaction.objects.filter(key__in=keys).order_by("nonce"))

    # --- GLM transfers from the claim sender (epoch-0 claims)
    def _glm_sender(self):
        if not settings.GLM_SENDER_PRIVATE_KEY:
            raise ChainError("GLM_SENDER_PRIVATE_KEY is not set")
        account = Account.from_key(settings.GLM_SENDER_PRIVATE_KEY)
        if settings.GLM_SENDER_ADDRESS and to_checksum_address(settings.GLM_SENDER_ADDRESS) != account.address:
            raise ChainError("GLM_SENDER_PRIVATE_KEY is not the key of GLM_SENDER_ADDRESS")
        return account

    def glm_sender_nonce(self) -> int:
        """The sender's mined transaction count, as the reference reads it, or the first journalled transfer
        not yet seen mined (a worker died after sending it), so that its claim gets its hash recorded."""
        address = self._glm_sender().address
        unconfirmed = ChainTransaction.objects.filter(
            sender=address, key__startswith="glm-transfer:", status=ChainTransaction.Status.SIGNED).order_by("nonce")
        first = unconfirmed.values_list("nonce", flat=True).first()
        count = self.rpc(self.w3.eth.get_transaction_count, address, "latest")
        return count if first is None else min(count, first)

    def transfer_glm(self, to: str, amount: int, *, nonce: int) -> str:
        """`GLM.transfer(to, amount)` from the claim sender as transaction `nonce`, signed and journalled
        (`ChainTransaction` "glm-transfer:<nonce>") before it is first sent: a later call for the same nonce
        resends the same bytes until the receipt is in, so a worker that died after sending never sends a
        second transfer. A nonce the sender has used otherwise, or one beyond its next, is refused."""
        account = self._glm_sender()
        key = f"glm-transfer:{nonce}"
        row = ChainTransaction.objects.filter(key=key).first()
        if row is None:
            expected = self.rpc(self.w3.eth.get_transaction_count, account.address, "pending")
            if nonce != expected:
                raise ChainError(f"Nonce {nonce} is not the sender's next nonce ({expected})")
            call = self.contract("GLM").functions.transfer(to_checksum_address(to), int(amount))
            gas = self.rpc(call.estimate_gas, {"from": account.address})
            signed = account.sign_transaction({"to": self.contract("GLM").address, "value": 0, "gas": gas * 5 // 4,
                                               "data": call._encode_transaction_data(), **self._fees(),
                                               "nonce": nonce, "chainId": self.chain_id(), "type": 2})
            try:
                with transaction.atomic():
                    ChainTransaction.objects.create(key=key, sender=account.address, nonce=nonce,
                                                    tx_hash="0x" + signed.hash.hex(),
                                                    raw="0x" + signed.raw_transaction.hex())
            except IntegrityError:  # another worker journalled this nonce first: its transaction is sent
                pass
            row = ChainTransaction.objects.filter(key=key).first()
            if row is None:
                raise ChainError(f"Nonce {nonce} of {account.address} is journalled for another transaction")
        self._send_and_confirm(row)
        return row.tx_hash

    def _fees(self) -> dict:
        """EIP-1559 fees: room for the base fee to double, plus the node's suggested tip."""
        base = self._head().get("baseFeePerGas")
        if base is None:
            price = self.rpc(lambda: self.w3.eth.gas_price)
            return {"maxFeePerGas": price, "maxPriorityFeePerGas": price}
        try:
            tip = self.rpc(lambda: self.w3.eth.max_priority_fee)
        except Web3RPCError:
            tip = 10**9
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def _receipt(self, tx_hash: str):
        try:
            return self.rpc(self.w3.eth.get_transaction_receipt, tx_hash)
        except TransactionNotFound:
            return None

    def _send_and_confirm(self, row) -> None:
        if row.status == ChainTransaction.Status.MINED:
            return
        receipt = self._receipt(row.tx_hash)
        if receipt is None:
            try:
                self.rpc(self.w3.eth.send_raw_transaction, row.raw)
            except Web3RPCError as exc:  # already in the pool or mined meanwhile: the receipt decides
                logger.info("ethereum: resending %s: %s", row.key, exc)
            try:
                receipt = self.rpc(self.w3.eth.wait_for_transaction_receipt, row.tx_hash,
                                   timeout=settings.CHAIN_TX_RECEIPT_TIMEOUT)
            except TimeExhausted:
                raise ChainError(f"{row.key}: transaction {row.tx_hash} not mined yet; the next run waits again")
        if receipt["status"] != 1:
            ChainTransaction.objects.filter(pk=row.pk).update(status=ChainTransaction.Status.FAILED)
            raise ChainError(f"{row.key}: transaction {row.tx_hash} reverted")
        ChainTransaction.objects.filter(pk=row.pk).update(status=ChainTransaction.Status.MINED,
                                                          block_number=receipt["blockNumber"])

    def last_claimed_epoch(self, address: str) -> int:
        return self._read(self.contract("Vault").functions.lastClaimedEpoch(to_checksum_address(address)))

    def withdrawal_events(self, address: str) -> list[dict]:
        return [{"amount": w.amount, "timestamp": w.timestamp, "transactionHash": w.transaction_hash, "epoch": w.epoch}
                for w in IndexedWithdrawal.objects.filter(address=to_checksum_address(address)).order_by("timestamp")]

    # --- accounts and signatures
    def is_contract(self, address: str) -> bool:
        code = bytes(self.rpc(self.w3.eth.get_code, to_checksum_address(address)))
        if len(code) == 23 and code.startswith(b"\xef\x01\x00"):
            return False  # an EIP-7702 delegation: still an externally owned account
        return len(code) > 0

    def is_valid_eip1271_signature(self, address: str, digest: bytes, signature: str) -> bool:
        wallet = self.w3.eth.contract(address=to_checksum_address(address), abi=ABIS["Wallet"])
        try:
            result = self.rpc(wallet.functions.isValidSignature(
                bytes(digest), bytes.fromhex(signature.removeprefix("0x"))).call)
        except (ContractLogicError, BadFunctionCallOutput, ValueError):  # a revert, or no answer: invalid
            return False
        return bytes(result) == EIP1271_LEGACY_MAGIC

    def safe_message_hash(self, address: str, message_hash: bytes) -> bytes:
        """The Safe's own `getMessageHash(message_hash)` (a Safe answers it through its fallback handler)."""
        safe = self.w3.eth.contract(address=to_checksum_address(address), abi=ABIS["Safe"])
        try:
            return bytes(self.rpc(safe.functions.getMessageHash(bytes(message_hash)).call))
        except (ContractLogicError, BadFunctionCallOutput) as exc:  # no such function there, or no contract
            raise InvalidMultisigAddress() from exc

    def passport_score(self, address: str) -> Decimal | None:
        from .models import LocalPassportScore  # scores recorded for the deployment (`chain passport`)

        row = LocalPassportScore.objects.filter(address=to_checksum_address(address)).first()
        return Decimal(row.score) if row else None

    # --- info
    def chain_id(self) -> int:
        return self.rpc(lambda: self.w3.eth.chain_id)

    def contract_addresses(self) -> dict[str, str]:
        return {name: to_checksum_address(address) for name, address in settings.CONTRACTS.items() if address}

    def block_height(self) -> int | None:
        return self.rpc(lambda: self.w3.eth.block_number)

    def indexed_height(self) -> int | None:
        return self.subgraph.head()

    def health(self) -> dict[str, bool]:
        def up(check) -> bool:
            try:
                return bool(check())
            except Exception:
                logger.exception("ethereum: health check failed")
                return False

        return {"blockchain": up(lambda: self.w3.eth.block_number >= 0), "subgraph": up(lambda: self.subgraph.head() > 0)}


_checksum = lru_cache(maxsize=200_000)(to_checksum_address)


def _deposit_event(entity: str, row: dict) -> dict:
    before, amount = int(row["depositBefore"]), int(row["amount"])
    lock = entity == "lockeds"
    return {"key": f"subgraph:{row['id']}", "address": _checksum(row["user"]),
            "type": "lock" if lock else "unlock", "amount": amount, "before": before,
            "after": before + amount if lock else before - amount, "timestamp": int(row["timestamp"]),
            "transaction_hash": row["transactionHash"], "block_number": int(row["blockNumber"])}


def _store(model, rows, *, key="key") -> int:
    existing = set(model.objects.filter(**{f"{key}__in": [getattr(r, key) for r in rows]}).values_list(key, flat=True))
    new = [r for r in rows if getattr(r, key) not in existing]
    model.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
