"""The embedded `local` chain: a simulated Epochs/Deposits/Vault kept in the database, with a clock of its
own. Reads implement `ChainBackend`; the write methods back the `manage.py chain` commands."""
import time
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Subquery

from deposits.models import DepositEvent
from octant.core.addresses import checksum
from octant.core.exceptions import ChainError, VaultRootAlreadySet
from octant.core.fields import sum_wei
from projects.models import Project
from projects.services import epoch_editable_check

from . import epoch_math
from .base import CONTRACT_NAMES, ChainBackend
from .models import (ChainClock, LocalEpochProps, LocalGlmTransfer, LocalPassportScore, LocalSafe,
                     LocalStakingProceeds, LocalVaultRoot)


def _address(value: str) -> str:
    try:
        return checksum(value)
    except ValueError:
        raise ChainError(f"Invalid address: {value}")


def _amount(value) -> int:
    text = str(value).strip()
    if len(text) > 79:  # sign and 78 digits: never hand int() a longer string (its 4300-digit limit)
        raise ChainError("Amount must be below 2**256")
    try:
        amount = int(text)
    except ValueError:
        raise ChainError(f"Amount must be an integer number of wei, got {value!r}")
    if amount < 0:
        raise ChainError(f"Amount must not be negative, got {amount}")
    if amount >= 2**256:
        raise ChainError("Amount must be below 2**256")
    return amount


class LocalChain(ChainBackend):
    name = "local"

    # --- clock
    def _clock(self, *, lock=False) -> ChainClock:
        qs = ChainClock.objects.select_for_update() if lock else ChainClock.objects
        clock = qs.filter(pk=1).first()
        if clock is None:
            ChainClock.objects.get_or_create(pk=1, defaults={"base": int(time.time()), "anchor": time.time()})
            clock = qs.get(pk=1)
        return clock

    @staticmethod
    def _read(clock: ChainClock) -> int:
        if settings.LOCAL_CHAIN_CLOCK_RUNNING:
            return clock.base + max(0, int(time.time() - clock.anchor))
        return clock.base

    def now(self) -> int:
        return self._read(self._clock())

    def _props(self) -> list[epoch_math.EpochProps]:
        return [
            epoch_math.EpochProps(p.from_epoch, p.to_epoch, p.from_ts, p.duration, p.decision_window)
            for p in LocalEpochProps.objects.all()
        ]

    # --- epochs
    def current_epoch(self) -> int:
        return epoch_math.current_epoch(self._props(), self.now())

    def pending_epoch(self) -> int | None:
        return epoch_math.pending_epoch(self._props(), self.now())

    def finalized_epoch(self) -> int:
        return epoch_math.finalized_epoch(self._props(), self.now())

    def is_decision_window_open(self) -> bool:
        return epoch_math.is_decision_window_open(self._props(), self.now())

    def epoch_view(self) -> tuple[int, int, int | None, int, bool]:
        """One read of the clock and one of the schedule (instead of five and four)."""
        props, now = self._props(), self.now()
        return (now, epoch_math.current_epoch(props, now), epoch_math.pending_epoch(props, now),
                epoch_math.finalized_epoch(props, now), epoch_math.is_decision_window_open(props, now))

    def epoch_timing(self, epoch: int):
        return epoch_math.epoch_timing(self._props(), epoch)

    def status(self) -> dict:
        props, now = self._props(), self.now()
        current = epoch_math.current_epoch(props, now)
        timing = epoch_math.epoch_timing(props, current) if current else None
        return {
            "now": now,
            "currentEpoch": current,
            "pendingEpoch": epoch_math.pending_epoch(props, now),
            "finalizedEpoch": epoch_math.finalized_epoch(props, now),
            "epochStart": timing.start if timing else (props[0].from_ts if props else None),
            "epochEnd": timing.end if timing else None,
            "decisionWindowOpen": epoch_math.is_decision_window_open(props, now),
        }

    # --- money
    def staking_proceeds(self, epoch: int) -> int:
        row = LocalStakingProceeds.objects.filter(epoch=epoch).first()
        return row.amount if row else 0

    def total_locked(self) -> int:
        # the local chain appends events in clock order, so each address's highest id is its latest event
        latest = DepositEvent.objects.values("address").annotate(last=Max("id")).values("last")
        return sum_wei(DepositEvent.objects.filter(id__in=Subquery(latest)), "after")

    def sync_deposit_events(self) -> int:
        return 0  # the local chain writes its events straight into the index

    # --- vault
    def vault_merkle_root(self, epoch: int) -> str | None:
        row = LocalVaultRoot.objects.filter(epoch=epoch).first()
        return row.root if row else None

    def set_vault_merkle_root(self, epoch: int, root: str, *, fund: int = 0) -> None:
        with transaction.atomic():
            now = self._read(self._clock(lock=True))
            if LocalVaultRoot.objects.filter(epoch=epoch).exists():
                raise VaultRootAlreadySet(epoch)
            LocalVaultRoot.objects.create(epoch=epoch, root=root, set_at=now)

    def last_claimed_epoch(self, address: str) -> int:
        return 0  # nobody withdraws from the simulated vault

    def withdrawal_events(self, address: str) -> list[dict]:
        return []

    # --- accounts
    def is_contract(self, address: str) -> bool:
        """Only the registered Safes (`chain safe add`) are contracts; every other address is an EOA."""
        return LocalSafe.objects.filter(address=checksum(address)).exists()

    def is_valid_eip1271_signature(self, address: str, digest: bytes, signature: str) -> bool:
        from . import safes  # lazy, as in safe_message_hash: eth_utils and eth-abi cost the `chain` command ~0.5 s

        safe = LocalSafe.objects.filter(address=checksum(address)).first()
        try:
            raw = bytes.fromhex(signature.removeprefix("0x"))
        except ValueError:
            return False  # the contract call would revert
        return safe is not None and safes.check_signatures(
            owners=safe.owners, threshold=safe.threshold, signatures=raw,
            message_hash=safes.message_hash(chain_id=self.chain_id(), safe=safe.address, message=digest))

    def safe_message_hash(self, address: str, message_hash: bytes) -> bytes:
        from octant.core.exceptions import InvalidMultisigAddress

        from . import safes

        if not LocalSafe.objects.filter(address=checksum(address)).exists():
            raise InvalidMultisigAddress()  # getMessageHash on an address without that contract reverts
        return safes.message_hash(chain_id=self.chain_id(), safe=checksum(address), message=message_hash)

    def passport_score(self, address: str) -> Decimal | None:
        row = LocalPassportScore.objects.filter(address=checksum(address)).first()
        return Decimal(row.score) if row else None

    # --- info
    def chain_id(self) -> int:
        return settings.CHAIN_ID

    def contract_addresses(self) -> dict[str, str]:
        """The local chain has no contracts; stable stand-in addresses name its simulated ones."""
        from eth_utils import keccak, to_checksum_address  # lazy: a heavy import the `chain` command never needs

        return {n: to_checksum_address(keccak(text=f"octant-local:{n}")[-20:]) for n in CONTRACT_NAMES}

    def block_height(self) -> int | None:
        return self.now()

    def indexed_height(self) -> int | None:
        return self.now()

    def health(self) -> dict[str, bool]:
        return {"blockchain": True, "subgraph": True}

    # --- writes (the `chain` management command)
    @transaction.atomic
    def configure(self, *, start: int | None, duration: int, decision_window: int) -> int:
        """Sets the schedule; returns the first epoch the new timing applies to."""
        now = self._read(self._clock(lock=True))
        props = self._props()
        if props and props[0].from_ts <= now:
            if start is not None:
                raise ChainError(
                    "The epoch schedule has started; its start cannot move. Without --start, new timing "
                    "applies from the next epoch."
                )
            try:
                new_props = epoch_math.set_props(props, now, duration=duration, decision_window=decision_window)
            except ValueError as exc:
                raise ChainError(str(exc))
        else:
            if start is None:
                raise ChainError("--start is required before the schedule has started")
            try:
                epoch_math.validate(start=start, duration=duration, decision_window=decision_window)
            except ValueError as exc:
                raise ChainError(str(exc))
            new_props = [epoch_math.EpochProps(1, 0, start, duration, decision_window)]
        LocalEpochProps.objects.all().delete()
        LocalEpochProps.objects.bulk_create(
            LocalEpochProps(index=i, from_epoch=p.from_epoch, to_epoch=p.to_epoch, from_ts=p.from_ts,
                            duration=p.duration, decision_window=p.decision_window)
            for i, p in enumerate(new_props)
        )
        return new_props[-1].from_epoch

    @transaction.atomic
    def set_time(self, *, timestamp: int | None = None, advance: int | None = None) -> int:
        clock = self._clock(lock=True)
        now = self._read(clock)
        target = now + advance if advance is not None else timestamp
        if (advance is not None and advance < 0) or target < now:
            raise ChainError(f"The chain clock never moves backward (now {now}, asked {target})")
        clock.base, clock.anchor = target, time.time()
        clock.save()
        return target

    @transaction.atomic
    def lock(self, address: str, amount) -> DepositEvent:
        return self._deposit(DepositEvent.Type.LOCK, _address(address), _amount(amount))

    @transaction.atomic
    def unlock(self, address: str, amount) -> DepositEvent:
        return self._deposit(DepositEvent.Type.UNLOCK, _address(address), _amount(amount))

    def _deposit(self, kind: str, address: str, amount: int) -> DepositEvent:
        if amount == 0:
            raise ChainError("Amount must be positive")
        now = self._read(self._clock(lock=True))  # the clock row serialises all chain writes
        last = DepositEvent.objects.filter(address=address).order_by("-timestamp", "-id").first()
        before = last.after if last else 0
        if kind == DepositEvent.Type.UNLOCK and amount > before:
            raise ChainError(f"Cannot unlock {amount}: {address} has only {before} locked")
        after = before + amount if kind == DepositEvent.Type.LOCK else before - amount
        return DepositEvent.objects.create(
            key=f"local:{uuid.uuid4().hex}", address=address, type=kind, amount=amount, before=before,
            after=after, timestamp=now, source=DepositEvent.Source.OCTANT,
        )

    @transaction.atomic
    def set_proceeds(self, epoch: int, amount) -> None:
        if epoch < 1:
            raise ChainError("Epoch must be 1 or more")
        epoch_editable_check(epoch=epoch)
        LocalStakingProceeds.objects.update_or_create(epoch=epoch, defaults={"amount": _amount(amount)})

    @transaction.atomic
    def add_project(self, epoch: int, address: str, *, name: str = "") -> Project:
        if epoch < 1:
            raise ChainError("Epoch must be 1 or more")
        address = _address(address)
        epoch_editable_check(epoch=epoch)
        project, created = Project.objects.get_or_create(epoch=epoch, address=address, defaults={"name": name})
        if not created and name and project.name != name:
            project.name = name
            project.save(update_fields=["name"])
        return project

    @transaction.atomic
    def set_passport(self, address: str, score) -> None:
        try:
            value = Decimal(str(score))
        except InvalidOperation:
            raise ChainError(f"Score must be a number, got {score!r}")
        if not value.is_finite() or value < 0:
            raise ChainError(f"Score must be a non-negative number, got {score}")
        LocalPassportScore.objects.update_or_create(address=_address(address), defaults={"score": str(value)})

    @transaction.atomic
    def add_safe(self, address: str, *, owners: list[str], threshold: int) -> LocalSafe:
        """Deploy (or reconfigure) a Safe at `address` with these owners and threshold."""
        address = _address(address)
        owners = [_address(owner) for owner in owners]
        if not owners or len(set(owners)) != len(owners):
            raise ChainError("A Safe needs one or more distinct owners")
        if not 1 <= threshold <= len(owners):
            raise ChainError(f"The threshold must be between 1 and {len(owners)}, got {threshold}")
        if address in owners:
            raise ChainError("A Safe cannot own itself")
        safe, _ = LocalSafe.objects.update_or_create(address=address, defaults={"owners": owners,
                                                                                 "threshold": threshold})
        return safe

    # --- Sablier streams (lifecycle.md §4.3): GLM vested linearly from `start` to `end`
    def sync_sablier_streams(self) -> int:
        return 0  # the local chain writes its streams and their events straight into the index

    @staticmethod
    def _streamed(stream, now: int) -> int:
        if stream.cancelled:
            return stream.withdrawn_amount + stream.intact_amount
        if now >= stream.end_time:
            return stream.deposit_amount
        return stream.deposit_amount * max(0, now - stream.start_time) // (stream.end_time - stream.start_time)

    def _sablier_event(self, stream, kind: str, amount: int, now: int) -> DepositEvent:
        last = DepositEvent.objects.filter(address=stream.recipient).order_by("-timestamp", "-id").first()
        before = last.after if last else 0
        after = before + amount if kind == DepositEvent.Type.LOCK else before - amount
        return DepositEvent.objects.create(
            key=f"sablier:{stream.stream_id}:{uuid.uuid4().hex}", address=stream.recipient, type=kind, amount=amount,
            before=before, after=after, timestamp=now, source=DepositEvent.Source.SABLIER)

    def _stream(self, stream_id: str):
        from deposits.models import SablierStream

        stream = SablierStream.objects.select_for_update().filter(stream_id=str(stream_id)).first()
        if stream is None:
            raise ChainError(f"No stream {stream_id}")
        return stream

    @transaction.atomic
    def stream_create(self, recipient: str, amount, *, duration: int):
        """Stream `amount` GLM to `recipient` from now over `duration` seconds (a Sablier Create)."""
        from deposits.models import SablierStream

        recipient, amount = _address(recipient), _amount(amount)
        if amount == 0 or duration <= 0:
            raise ChainError("A stream needs a positive amount and duration")
        now = self._read(self._clock(lock=True))
        stream = SablierStream.objects.create(
            stream_id=f"local-{SablierStream.objects.count() + 1}", recipient=recipient, deposit_amount=amount,
            intact_amount=amount, start_time=now, end_time=now + duration)
        self._sablier_event(stream, DepositEvent.Type.LOCK, amount, now)
        return stream

    @transaction.atomic
    def stream_withdraw(self, stream_id: str, amount):
        """The recipient withdraws `amount` of what has streamed so far (a Sablier Withdraw)."""
        amount = _amount(amount)
        now = self._read(self._clock(lock=True))
        stream = self._stream(stream_id)
        available = self._streamed(stream, now) - stream.withdrawn_amount
        if not 0 < amount <= available:
            raise ChainError(f"Cannot withdraw {amount} from stream {stream_id}: {available} is withdrawable")
        stream.withdrawn_amount += amount
        stream.intact_amount -= amount
        stream.save(update_fields=["withdrawn_amount", "intact_amount"])
        self._sablier_event(stream, DepositEvent.Type.UNLOCK, amount, now)
        return stream

    @transaction.atomic
    def stream_cancel(self, stream_id: str):
        """The sender cancels: the unstreamed part goes back to it (a Sablier Cancel, refund = amountA); the
        recipient keeps the streamed, unwithdrawn part (amountB = the intact amount)."""
        now = self._read(self._clock(lock=True))
        stream = self._stream(stream_id)
        if stream.cancelled or now >= stream.end_time:
            raise ChainError(f"Stream {stream_id} is {'cancelled' if stream.cancelled else 'settled'} already")
        refund = stream.deposit_amount - self._streamed(stream, now)
        stream.intact_amount -= refund
        stream.cancelled = True
        stream.save(update_fields=["intact_amount", "cancelled"])
        if refund:
            self._sablier_event(stream, DepositEvent.Type.UNLOCK, refund, now)
        return stream

    # --- GLM transfers from the claim sender (epoch-0 claims)
    def glm_sender_nonce(self) -> int:
        last = LocalGlmTransfer.objects.order_by("-nonce").values_list("nonce", flat=True).first()
        return settings.GLM_SENDER_NONCE if last is None else last + 1

    @transaction.atomic
    def transfer_glm(self, to: str, amount: int, *, nonce: int) -> str:
        from eth_utils import keccak  # lazy: a heavy import the `chain` command never needs

        now = self._read(self._clock(lock=True))
        expected = self.glm_sender_nonce()
        if nonce != expected:
            raise ChainError(f"Nonce {nonce} is not the sender's next nonce ({expected})")
        tx = "0x" + keccak(text=f"octant-local:glm-transfer:{nonce}:{to}:{amount}").hex()
        LocalGlmTransfer.objects.create(nonce=nonce, to=_address(to), amount=_amount(amount), transaction_hash=tx,
                                        timestamp=now)
        return tx

    # --- start over (`chain reset`)
    RESET_KEEPS = {"antisybil.PassportListEntry"}  # configuration (seeded by a migration), not chain data

    def _reset_models(self):
        """The models of this project's own apps (the domain apps, the local chain's included, and any added
        later) but RESET_KEEPS; Django's and third-party apps (staff accounts, sessions, the periodic-task
        table) stay."""
        from pathlib import Path

        from django.apps import apps

        def own(path: Path) -> bool:  # in the checkout, not in a virtual environment inside it
            return path.is_relative_to(root) and "site-packages" not in path.parts

        root = Path(settings.BASE_DIR).resolve()
        return [model for config in apps.get_app_configs() if own(Path(config.path).resolve())
                for model in config.get_models(include_auto_created=True)
                if model._meta.label not in self.RESET_KEEPS]

    def reset_counts(self) -> dict[str, int]:
        """Rows `reset` would delete, per model that has any (the clock row aside: it is not data)."""
        counts = {m._meta.label: m._base_manager.count() for m in self._reset_models()
                  if not m._meta.auto_created and m is not ChainClock}
        return {label: n for label, n in counts.items() if n}

    def reset(self) -> dict[str, int]:
        """Deletes the local chain (clock, schedule, locks, proceeds, projects, scores, vault roots) and all
        data derived from it (snapshots, budgets, users, allocations, rewards) in one transaction, and
        clears the cache; staff accounts and the periodic-task table stay. Returns the rows deleted."""
        from django.core.cache import cache
        from django.core.management.color import no_style
        from django.db import connection

        with transaction.atomic():
            counts = self.reset_counts()
            tables = [m._meta.db_table for m in self._reset_models()]
            connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, reset_sequences=True))
        cache.clear()
        return counts
