"""The embedded `local` chain: a simulated Epochs/Deposits/Projects/Vault and Sablier kept in the database
(octant/chain/models.py), with a clock of its own. Reads implement `ChainBackend`: like the ethereum backend,
it returns its deposit events, streams and projects in batches, and the apps' services store them; the write
methods back the `manage.py chain` commands, which run those services right after writing."""
import time
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Subquery

from octant.core.addresses import checksum
from octant.core.exceptions import ChainError, VaultRootAlreadySet
from octant.core.fields import sum_wei

from . import epoch_math
from .base import CONTRACT_NAMES, Batch, ChainBackend
from .models import (ChainClock, IndexCursor, LocalDepositEvent, LocalEpochProps, LocalGlmTransfer,
                     LocalPassportScore, LocalProject, LocalSablierStream, LocalSafe, LocalStakingProceeds,
                     LocalVaultRoot, LocalWithdrawal)

LOCK, UNLOCK = "lock", "unlock"
BATCH_ROWS = 5000


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
            now = int(time.time())
            ChainClock.objects.get_or_create(pk=1, defaults={"base": now, "anchor": time.time(), "genesis": now})
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

    def _props_and_now(self) -> tuple[list[epoch_math.EpochProps], int]:
        """The schedule and the clock in one query (the clock's row joined to every props row), for the reads
        every request makes; the separate reads (which create the clock's row) when it does not exist yet."""
        clock, props = ChainClock._meta, LocalEpochProps._meta
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT c.base, c.anchor, p.from_epoch, p.to_epoch, p.from_ts, p.duration, p.decision_window "
                f"FROM {quote(clock.db_table)} c LEFT JOIN {quote(props.db_table)} p ON 1 = 1 "
                f"WHERE c.id = 1 ORDER BY p.{quote('index')}")
            rows = cursor.fetchall()
        if not rows:
            return self._props(), self.now()
        schedule = [epoch_math.EpochProps(*row[2:]) for row in rows if row[2] is not None]
        return schedule, self._read(ChainClock(base=rows[0][0], anchor=rows[0][1]))

    def epoch_view(self) -> tuple[int, int, int | None, int, bool]:
        """One read of the clock and the schedule together (instead of five clock and four schedule reads)."""
        props, now = self._props_and_now()
        return (now, epoch_math.current_epoch(props, now), epoch_math.pending_epoch(props, now),
                epoch_math.finalized_epoch(props, now), epoch_math.is_decision_window_open(props, now))

    def epoch_timing(self, epoch: int):
        return epoch_math.epoch_timing(self._props(), epoch)

    def status(self) -> dict:
        props, now = self._props_and_now()
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
        # the ledger is appended in clock order, so each address's highest id is its latest event
        latest = LocalDepositEvent.objects.values("address").annotate(last=Max("id")).values("last")
        return sum_wei(LocalDepositEvent.objects.filter(id__in=Subquery(latest)), "after")

    # --- what the apps index: the ledger past each cursor
    def deposit_event_batches(self) -> Iterator[Batch]:
        """The Octant lock/unlock events of the ledger past the `local:deposits` cursor, by id."""
        since = IndexCursor.block_of("local:deposits")
        while True:
            rows = list(LocalDepositEvent.objects.filter(id__gt=since, stream__isnull=True).order_by("id")
                        .values("id", "address", "type", "amount", "before", "after", "timestamp",
                                "transaction__hash", "transaction__block")[:BATCH_ROWS])
            if not rows:
                return
            last = rows[-1]["id"]
            yield Batch(rows=[_deposit_row(r) for r in rows],
                        commit=partial(IndexCursor.advance, "local:deposits", last), entity="local:deposits")
            since = last

    def sablier_stream_batches(self) -> Iterator[Batch]:
        """The streams with actions past the `local:sablier` cursor, each with all its actions, in the shape
        of the Sablier subgraph's `lockupStreams`."""
        since = IndexCursor.block_of("local:sablier")
        last = LocalDepositEvent.objects.filter(id__gt=since, stream__isnull=False).aggregate(m=Max("id"))["m"]
        if last is None:
            return
        streams = LocalSablierStream.objects.filter(actions__id__gt=since, actions__id__lte=last).distinct()
        rows = [{"id": s.stream_id, "recipient": s.recipient, "depositAmount": str(s.deposit_amount),
                 "intactAmount": str(s.intact_amount), "endTime": str(s.end_time), "canceled": s.cancelled,
                 "actions": [_action(a) for a in s.actions.filter(id__lte=last).order_by("id")]}
                for s in streams.order_by("id")]
        yield Batch(rows=rows, commit=partial(IndexCursor.advance, "local:sablier", last), entity="local:sablier")

    def project_batches(self, *, stored_epochs: set[int], current_epoch: int) -> Iterator[Batch]:
        """The projects registered (or registered again) past the `local:projects` cursor; with their name where
        one was given since (a registration without a name leaves the stored one as it is)."""
        since = IndexCursor.block_of("local:projects")
        projects = list(LocalProject.objects.filter(revision__gt=since).order_by("revision"))
        if projects:
            rows = [{"epoch": p.epoch, "address": p.address, **({"name": p.name} if p.name_revision > since else {})}
                    for p in projects]
            yield Batch(rows=rows, commit=partial(IndexCursor.advance, "local:projects", projects[-1].revision),
                        entity="local:projects")

    # --- vault
    def vault_merkle_root(self, epoch: int) -> str | None:
        row = LocalVaultRoot.objects.filter(epoch=epoch).first()
        return row.root if row else None

    def set_vault_merkle_root(self, epoch: int, root: str, *, fund: int = 0) -> None:
        """The multisig's `setMerkleRoot` transaction; the chain puts `fund` wei into the Vault with it."""
        from . import ledger  # lazy, as in `_deposit`

        with transaction.atomic():
            self._clock(lock=True)
            if LocalVaultRoot.objects.filter(epoch=epoch).exists():
                raise VaultRootAlreadySet(epoch)
            tx = self._transaction(sender=ledger.multisig(), to="Vault",
                                   call=("setMerkleRoot", ["uint256", "bytes32"], [epoch, bytes.fromhex(root[2:])]))
            ledger.set_root(tx, epoch, root)
            ledger.move_eth(ledger.ZERO_ADDRESS, tx.to, fund)

    def last_claimed_epoch(self, address: str) -> int:
        from . import ledger  # lazy, as above

        return ledger.last_claimed_epoch(checksum(address))

    def withdrawal_events(self, address: str) -> list[dict]:
        """The address's Vault withdrawals (`batchWithdraw` transactions sent to `/rpc`)."""
        return [{"amount": w.amount, "timestamp": w.transaction.timestamp, "transactionHash": w.transaction.hash,
                 "epoch": w.epoch}
                for w in LocalWithdrawal.objects.filter(address=checksum(address)).select_related("transaction")]

    # --- accounts
    def is_contract(self, address: str) -> bool:
        """Only the registered Safes (`chain safe add`) are contracts; every other address is an EOA."""
        with connection.cursor() as cursor:  # the ORM's exists() without its Python: every signature asks
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(LocalSafe._meta.db_table)} WHERE address = %s "
                           f"LIMIT 1", [checksum(address)])
            return cursor.fetchone() is not None

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
        """The simulated contracts' stable addresses (octant/chain/ledger.py answers at them on `/rpc`): v2's and,
        last, Octant v2's RegenStaker, which the web client reads for its users' migration status."""
        from .blocks import address_of  # lazy, as in `_deposit`

        return {n: address_of(n) for n in (*CONTRACT_NAMES, "RegenStaker")}

    def block_height(self) -> int | None:
        """The head block (octant/chain/blocks.py)."""
        from .blocks import head, last_transaction  # lazy, as in `_deposit`

        clock = self._clock()
        return head(genesis=clock.genesis, last=last_transaction(), now=self._read(clock))

    def indexed_height(self) -> int | None:
        return self.block_height()  # the local subgraph reads the chain itself

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
    def lock(self, address: str, amount) -> LocalDepositEvent:
        return self._deposit(LOCK, _address(address), _amount(amount))

    @transaction.atomic
    def unlock(self, address: str, amount) -> LocalDepositEvent:
        return self._deposit(UNLOCK, _address(address), _amount(amount))

    def _deposit(self, kind: str, address: str, amount: int) -> LocalDepositEvent:
        """A lock or unlock through the Deposits contract, in a transaction of the address's (a lock first mints
        the GLM it locks: the command needs no GLM in the wallet)."""
        from . import ledger  # lazy: the contracts' ABI loads only with the first write that needs it

        if amount == 0:
            raise ChainError("Amount must be positive")
        tx = self._transaction(sender=address, to="Deposits", call=(kind, ["uint256"], [amount]))
        before = ledger.deposit_of(address)
        if kind == UNLOCK and amount > before:
            raise ChainError(f"Cannot unlock {amount}: {address} has only {before} locked")
        if kind == LOCK:
            ledger.move_glm(tx, ledger.ZERO_ADDRESS, address, amount)
        return ledger.record_deposit(tx, kind, address, amount)

    def _transaction(self, *, sender: str, to: str, call: tuple[str, list, list] | None = None, value: int = 0):
        """A transaction of the chain's own (a `chain` command's, the tick's) in the next block, at the chain's
        time, under the clock's row lock (which serialises all chain writes): from `sender` to the contract `to`
        (a ledger name) or address, calling `call` = (function, argument types, arguments)."""
        from .blocks import address_of, encode_args, mine, selector  # lazy, as in `_deposit`

        clock = self._clock(lock=True)
        data = b""
        if call:
            name, types, args = call
            data = selector(name, types) + encode_args(types, args)
        return mine(genesis=clock.genesis, now=self._read(clock), sender=sender,
                    to=to if to.startswith("0x") else address_of(to), input=data, value=value)

    @staticmethod
    def _balance(address: str) -> int:
        last = LocalDepositEvent.objects.filter(address=address).order_by("-timestamp", "-id").first()
        return last.after if last else 0

    @staticmethod
    def _ledger(address: str, kind: str, amount: int, before: int, now: int, **stream) -> LocalDepositEvent:
        after = before + amount if kind == LOCK else before - amount
        return LocalDepositEvent.objects.create(address=address, type=kind, amount=amount, before=before,
                                                after=after, timestamp=now, **stream)

    @transaction.atomic
    def set_proceeds(self, epoch: int, amount, *, check: Callable[..., None] | None = None) -> None:
        """`check(epoch=...)`, where given, may refuse (the command passes the projects app's frozen-epoch check)."""
        if epoch < 1:
            raise ChainError("Epoch must be 1 or more")
        if check:
            check(epoch=epoch)
        LocalStakingProceeds.objects.update_or_create(epoch=epoch, defaults={"amount": _amount(amount)})

    @transaction.atomic
    def add_project(self, epoch: int, address: str, *, name: str = "",
                    check: Callable[..., None] | None = None) -> LocalProject:
        """Register a project (or register it again: with a name, renamed to it). `check(epoch=...)`, where
        given, may refuse (the command passes the projects app's frozen-epoch check)."""
        if epoch < 1:
            raise ChainError("Epoch must be 1 or more")
        address = _address(address)
        if check:
            check(epoch=epoch)
        self._clock(lock=True)  # serialises the revisions
        revision = (LocalProject.objects.aggregate(m=Max("revision"))["m"] or 0) + 1
        project, created = LocalProject.objects.get_or_create(
            epoch=epoch, address=address, defaults={"name": name, "revision": revision, "name_revision": revision})
        if created:  # the multisig sets the epoch's new list on the Projects contract
            from . import ledger  # lazy, as in set_vault_merkle_root

            addresses = list(LocalProject.objects.filter(epoch=epoch).order_by("id").values_list("address", flat=True))
            self._transaction(sender=ledger.multisig(), to="Projects",
                              call=("setProposalAddresses", ["uint256", "address[]"], [epoch, addresses]))
        else:
            project.revision = revision
            if name:
                project.name, project.name_revision = name, revision
            project.save(update_fields=["name", "revision", "name_revision"])
        return project

    @transaction.atomic
    def mint(self, address: str, *, glm=0, eth=0):
        """The faucet: give `address` GLM and ETH (wei), in a transaction of the chain's."""
        from . import ledger  # lazy, as in set_vault_merkle_root
        from .blocks import address_of

        address, glm, eth = _address(address), _amount(glm), _amount(eth)
        if not glm and not eth:
            raise ChainError("Mint some GLM or ETH")
        tx = self._transaction(sender=address_of("faucet"), to=address, value=eth)
        ledger.move_eth(ledger.ZERO_ADDRESS, address, eth)
        if glm:
            ledger.move_glm(tx, ledger.ZERO_ADDRESS, address, glm)
        return tx

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

    # --- Sablier streams (docs/lifecycle.md §4.3): GLM vested linearly from `start` to `end`
    @staticmethod
    def _streamed(stream, now: int) -> int:
        if stream.cancelled:
            return stream.withdrawn_amount + stream.intact_amount
        if now >= stream.end_time:
            return stream.deposit_amount
        return stream.deposit_amount * max(0, now - stream.start_time) // (stream.end_time - stream.start_time)

    def _sablier_event(self, stream, action: str, amount: int, now: int) -> LocalDepositEvent:
        kind = LOCK if action == LocalDepositEvent.Action.CREATE else UNLOCK
        return self._ledger(stream.recipient, kind, amount, self._balance(stream.recipient), now, stream=stream,
                            action=action)

    def _stream(self, stream_id: str) -> LocalSablierStream:
        stream = LocalSablierStream.objects.select_for_update().filter(stream_id=str(stream_id)).first()
        if stream is None:
            raise ChainError(f"No stream {stream_id}")
        return stream

    @transaction.atomic
    def stream_create(self, recipient: str, amount, *, duration: int) -> LocalSablierStream:
        """Stream `amount` GLM to `recipient` from now over `duration` seconds (a Sablier Create)."""
        recipient, amount = _address(recipient), _amount(amount)
        if amount == 0 or duration <= 0:
            raise ChainError("A stream needs a positive amount and duration")
        now = self._read(self._clock(lock=True))
        stream = LocalSablierStream.objects.create(
            stream_id=f"local-{LocalSablierStream.objects.count() + 1}", recipient=recipient, deposit_amount=amount,
            intact_amount=amount, start_time=now, end_time=now + duration)
        self._sablier_event(stream, LocalDepositEvent.Action.CREATE, amount, now)
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
        self._sablier_event(stream, LocalDepositEvent.Action.WITHDRAW, amount, now)
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
            self._sablier_event(stream, LocalDepositEvent.Action.CANCEL, refund, now)
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
        """Deletes the local chain (clock, schedule, ledger, proceeds, projects, scores, vault roots) and all
        data derived from it (snapshots, budgets, users, allocations, rewards) in one transaction, and
        clears the cache; staff accounts and the periodic-task table stay. Returns the rows deleted."""
        from django.core.cache import cache
        from django.core.management.color import no_style
        from django.db import connection

        with transaction.atomic():
            counts = self.reset_counts()
            tables = [m._meta.db_table for m in self._reset_models()]
            # deferred foreign-key checks of rows written in this transaction would block TRUNCATE
            connection.ops.execute_sql_flush(["SET CONSTRAINTS ALL IMMEDIATE"])
            connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, reset_sequences=True))
        cache.clear()
        return counts


def _deposit_row(row: dict) -> dict:
    """A ledger row as the apps store it, with its transaction where it has one."""
    tx_hash, block = row.pop("transaction__hash"), row.pop("transaction__block")
    return {"key": f"local:{row.pop('id')}", **row,
            **({"transaction_hash": tx_hash, "block_number": block} if tx_hash else {})}


def _action(event: LocalDepositEvent) -> dict:
    """A ledger row of a stream as the Sablier subgraph shows the action: Create and Cancel move amountA (the
    deposit, the refund), Withdraw amountB."""
    moved_b = event.action == LocalDepositEvent.Action.WITHDRAW
    return {"category": event.action, "amountA": "0" if moved_b else str(event.amount),
            "amountB": str(event.amount) if moved_b else "0", "timestamp": str(event.timestamp),
            "hash": ""}
