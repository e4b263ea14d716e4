"""The chain backend interface. Everything outside `octant.chain` talks to the chain through this, so the
rest of the code never knows whether the embedded `local` chain or `ethereum` runs."""
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from .epoch_math import EpochTiming

CONTRACT_NAMES = ("Auth", "Deposits", "Epochs", "GLM", "Projects", "Vault", "WithdrawalsTarget")


def _nothing() -> None:
    pass


@dataclass
class Batch:
    """Rows a backend read, and `commit()`, which advances the backend's cursor past them. The caller stores the
    rows and calls `commit()` in one transaction, so the cursor and the rows commit together: a pass that fails
    midway stores nothing of the failed batch and the next pass resumes from it. `entity`, `block`, `since` and
    `pinned` say where the batch stands (for progress bars), where the backend pages by block."""

    rows: list[dict]
    commit: Callable[[], None] = field(default=_nothing)
    entity: str = ""
    block: int | None = None
    since: int = 0
    pinned: int = 0


class ChainBackend(ABC):
    name: str

    # --- time and epochs (the Epochs contract)
    @abstractmethod
    def now(self) -> int:
        """Chain time, Unix seconds."""

    @abstractmethod
    def current_epoch(self) -> int:
        """0 before the first epoch starts."""

    @abstractmethod
    def pending_epoch(self) -> int | None:
        """The epoch whose allocation window is open, else None."""

    @abstractmethod
    def finalized_epoch(self) -> int:
        """The last epoch whose allocation window has closed, else 0."""

    @abstractmethod
    def is_decision_window_open(self) -> bool: ...

    def epoch_view(self) -> tuple[int, int, int | None, int, bool]:
        """(now, current epoch, pending epoch, finalized epoch, decision window open), read together.
        This default asks one at a time; a backend that can answers from one read, so the five agree."""
        return (self.now(), self.current_epoch(), self.pending_epoch(), self.finalized_epoch(),
                self.is_decision_window_open())

    @abstractmethod
    def epoch_timing(self, epoch: int) -> EpochTiming | None:
        """Start, duration and decision window of a started epoch or the next one; None if unknown."""

    # --- money
    @abstractmethod
    def staking_proceeds(self, epoch: int) -> int:
        """ETH staking proceeds of an epoch, in wei."""

    @abstractmethod
    def total_locked(self) -> int:
        """GLM held by the Deposits contract now, in wei."""

    # --- what the apps index (deposit events, Sablier streams, projects): the backend reads, the apps'
    # services store (deposits.services.deposit_events_sync, sablier_streams_sync; projects.services.projects_sync)
    @abstractmethod
    def deposit_event_batches(self) -> Iterator[Batch]:
        """Octant lock/unlock events not yet stored, in chain order: batches of dicts as
        `deposits.services.deposit_events_store(events=...)` takes them (`key`, `address`, `type`, `amount`,
        `before`, `after`, `timestamp`, and `transaction_hash`, `block_number` where known)."""

    def sablier_stream_batches(self) -> Iterator[Batch]:
        """The Sablier lockup streams of GLM from Octant's sender (docs/lifecycle.md §4.3) that may have changed,
        shaped as the Sablier subgraph returns them (`id intactAmount canceled endTime depositAmount recipient`
        and `actions {category amountA amountB timestamp hash}`), for
        `deposits.services.sablier_streams_index`."""
        return iter(())

    def sablier_excluded_streams(self) -> tuple[int, ...]:
        """Stream numbers never indexed (the reference's incorrectly cancelled ones)."""
        return ()

    @abstractmethod
    def project_batches(self, *, stored_epochs: set[int], current_epoch: int) -> Iterator[Batch]:
        """Project rows `{"epoch", "address"}` (and `"name"` where the chain names them: a name given is the
        project's name) to store; `stored_epochs` are the epochs the projects app holds projects of,
        `current_epoch` the chain's current epoch as the caller read it."""

    def projects_cids(self, epochs: set[int]) -> dict[int, str]:
        """The IPFS CID of each epoch's project metadata as the chain keeps it (docs/lifecycle.md §8.2); an
        epoch the chain keeps none for is left out (the local chain keeps none: the projects app derives one
        from the metadata staff enter)."""
        return {}

    def index(self, *, progress=None) -> dict:
        """Index what the backend keeps in tables of its own (the ethereum backend: vault withdrawals and
        merkle roots); returns counts. `progress(entity, done, block, since, pinned)` after each batch."""
        return {}

    def transfer_glm(self, to: str, amount: int, *, nonce: int) -> str:
        """Send `amount` GLM from the claim sender (GLM_SENDER_ADDRESS) to `to` as transaction `nonce`;
        returns the transaction hash. Raises ChainError if `nonce` is not the sender's next one."""
        raise NotImplementedError

    def glm_sender_nonce(self) -> int:
        """The claim sender's transaction count (its next nonce)."""
        raise NotImplementedError

    # --- the Vault
    @abstractmethod
    def vault_merkle_root(self, epoch: int) -> str | None: ...

    @abstractmethod
    def set_vault_merkle_root(self, epoch: int, root: str, *, fund: int = 0) -> None:
        """Set the epoch's root on the Vault (funding it with `fund` wei where the backend sends real
        transactions), exactly once: VaultRootAlreadySet if it is already set. Call it outside a database
        transaction."""

    @abstractmethod
    def last_claimed_epoch(self, address: str) -> int: ...

    @abstractmethod
    def withdrawal_events(self, address: str) -> list[dict]:
        """Vault withdrawals of `address`: dicts with `amount`, `timestamp`, `transactionHash`, `epoch`."""

    # --- accounts and signatures
    @abstractmethod
    def is_contract(self, address: str) -> bool: ...

    @abstractmethod
    def is_valid_eip1271_signature(self, address: str, digest: bytes, signature: str) -> bool: ...

    def verify_signature(self, address: str, digest_or_message: bytes | str, signature: bytes | str) -> bool:
        """Whether `signature` is `address`'s signature of a 32-byte digest (EIP-712) or of a text (EIP-191):
        an EOA's, or one its contract wallet accepts (the legacy EIP-1271 call, docs/rewards.md §8.3). The one
        adapter between `octant.core.signatures` and the backend's `is_contract`/`is_valid_eip1271_signature`
        for every signed action (allocations, patron mode, terms of service, delegation). The signature is
        recovered first: only when it is not the address's own is the address asked whether it is a
        contract (a read of the chain). A contract has no key of its own, so no ECDSA signature recovers to it."""
        # lazy, as the backends' Safe helpers: eth_keys and eth-abi cost the `chain` command ~0.5 s
        from octant.core import signatures

        def eip1271_call(wallet: str, digest: bytes, raw: bytes) -> bytes:
            valid = self.is_valid_eip1271_signature(wallet, digest, "0x" + raw.hex())
            return signatures.EIP1271_MAGIC_VALUE if valid else b"\x00" * 4

        if signatures.verify_signature(address, digest_or_message, signature):
            return True  # the address's own key signed: no chain read (every allocation is signed)
        return self.is_contract(address) and signatures.verify_signature(
            address, digest_or_message, signature, is_contract=True, eip1271_call=eip1271_call)

    @abstractmethod
    def safe_message_hash(self, address: str, message_hash: bytes) -> bytes:
        """`getMessageHash(message_hash)` of the Safe at `address` (its EIP-712 SafeMessage hash); raises
        `InvalidMultisigAddress` if the address is no Safe."""

    @abstractmethod
    def passport_score(self, address: str) -> Decimal | None:
        """Gitcoin Passport score of an address; None if it has none."""

    # --- info
    @abstractmethod
    def chain_id(self) -> int: ...

    @abstractmethod
    def contract_addresses(self) -> dict[str, str]: ...

    @abstractmethod
    def block_height(self) -> int | None: ...

    @abstractmethod
    def indexed_height(self) -> int | None: ...

    @abstractmethod
    def health(self) -> dict[str, bool]:
        """{"blockchain": up?, "subgraph": up?}"""
