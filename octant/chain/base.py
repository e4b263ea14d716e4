"""The chain backend interface. Everything outside `octant.chain` talks to the chain through this, so the
rest of the code never knows whether the embedded `local` chain or `ethereum` runs."""
from abc import ABC, abstractmethod
from decimal import Decimal

from .epoch_math import EpochTiming

CONTRACT_NAMES = ("Auth", "Deposits", "Epochs", "GLM", "Projects", "Vault", "WithdrawalsTarget")


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

    # --- deposit events
    @abstractmethod
    def sync_deposit_events(self) -> int:
        """Index new lock/unlock events into `deposits.DepositEvent`; returns how many were added."""

    def sync_sablier_streams(self) -> int:
        """Index the Sablier lockup streams of GLM from Octant's sender (lifecycle.md §4.3) into
        `deposits.SablierStream`, and their Create/Withdraw/Cancel actions into `deposits.DepositEvent` with
        source "sablier" (the running balance of `before`/`after` is the address's Octant plus Sablier
        balance); returns how many events were added. The ethereum backend reads the Sablier subgraph
        (paged) and hands the streams to `deposits.services.sablier_streams_index`."""
        raise NotImplementedError

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

    def safe_message_hash(self, address: str, message_hash: bytes) -> bytes:
        """`getMessageHash(message_hash)` of the Safe at `address` (its EIP-712 SafeMessage hash); raises
        `InvalidMultisigAddress` if the address is no Safe."""
        raise NotImplementedError

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
