"""Deterministic bulk data for the database benchmarks (runs inside a Django worker process).

Rows are written with COPY: Django's bulk_create costs 370 µs per row on this machine, minutes for a
million rows, and the load is not what is measured.
"""
import os
import random
from decimal import Decimal

SEED = 20240601
SCALE = float(os.environ.get("BENCH_SCALE", "1"))  # < 1 for a quick try of the benchmarks themselves
GLM = ETH = 10**18
START = 2_000_000_000  # epoch 1 starts here (after the wall clock, where a new local chain clock starts)
DURATION = 90 * 86_400
WINDOW = 14 * 86_400
PROCEEDS = 400 * ETH
EPOCH = 4  # the allocation benchmarks' epoch: the first capped-QF one
ALLOCATION_REQUESTS, WARMUP_REQUESTS = 300, 10
KEYED_FRESH = 110  # keyed users with a budget and no allocation yet (first allocations)
KEYED_REALLOC = ALLOCATION_REQUESTS + WARMUP_REQUESTS - KEYED_FRESH  # keyed users who re-allocate


def epoch_start(epoch: int) -> int:
    return START + (epoch - 1) * DURATION


def checksum_addresses(rng: random.Random, count: int) -> list[str]:
    """`count` random EIP-55 addresses (eth_utils' to_checksum_address costs 100 µs each here)."""
    from withdrawals.engine import _fast_keccak

    keccak = _fast_keccak()
    result = []
    for _ in range(count):
        raw = rng.randbytes(20).hex()
        digest = keccak(raw.encode()).hex()
        result.append("0x" + "".join(c.upper() if d in "89abcdef" else c for c, d in zip(raw, digest)))
    return result


def keyed_accounts(count: int = KEYED_FRESH + KEYED_REALLOC, start: int = 0) -> list:
    """Accounts with real keys (the users who POST), the same in every process: user ids 1..count."""
    from eth_account import Account
    from eth_utils import keccak

    return [Account.from_key(keccak(text=f"octant-bench-{index}")) for index in range(start, start + count)]


def insert_rows(model, fields: list[str], rows) -> int:
    """Insert tuples of Python values (in `fields` order) into `model`'s table; returns the row count."""
    from django.db import connection, transaction

    meta = model._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in fields)
    table = connection.ops.quote_name(meta.db_table)
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def created_at():
    """One timestamp value for every row's created_at."""
    from django.utils import timezone

    return timezone.now()


def finish_load(*models) -> None:
    """After explicit ids: move the sequences past them; gather planner statistics as autovacuum would after
    such a load."""
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        cursor.execute("ANALYZE")


def configure_chain(*, last_epoch: int):
    """The local chain: epoch 1 at START, proceeds for every epoch up to `last_epoch`; clock before START."""
    from octant.chain.backends import get_chain

    chain = get_chain()
    chain.set_time(timestamp=START - 100)
    chain.configure(start=START, duration=DURATION, decision_window=WINDOW)
    for epoch in range(1, last_epoch + 1):
        chain.set_proceeds(epoch, PROCEEDS)
    return chain


# --- the pending-snapshot benchmark: deposit events of epoch 1 ------------------------------------------


def load_deposit_events(*, users: int, events: int) -> dict:
    """`events` locks and unlocks of `users` users inside epoch 1, consistent before/after balances per
    user, inserted in timestamp order as the indexer writes them."""
    from deposits.models import DepositEvent

    rng = random.Random(SEED)
    start, end = epoch_start(1), epoch_start(2)
    addresses = checksum_addresses(rng, users)
    rows, locks = [], 0
    per_user, extra = divmod(events, users)
    for index, address in enumerate(addresses):
        balance = 0
        for timestamp in sorted(rng.randrange(start, end) for _ in range(per_user + (index < extra))):
            if balance and rng.random() < 0.3:  # unlock part or (one time in five) all of it
                amount = balance if rng.random() < 0.2 else rng.randrange(1, balance)
                rows.append((address, "unlock", amount, balance, balance - amount, timestamp))
                balance -= amount
            else:
                amount = rng.randrange(GLM, 5_000 * GLM)
                rows.append((address, "lock", amount, balance, balance + amount, timestamp))
                balance += amount
                locks += 1
    rows.sort(key=lambda row: row[5])
    now = created_at()
    count = insert_rows(
        DepositEvent, ["key", "address", "type", "amount", "before", "after", "timestamp", "source",
                       "transaction_hash", "created_at"],
        ((f"bench:{index}", *row, "octant", "0x" + f"{index:064x}", now) for index, row in enumerate(rows)))
    finish_load(DepositEvent)
    return {"users": users, "events": count, "locks": locks, "unlocks": count - locks}


# --- the allocation and finalization benchmarks: an epoch >= 4 in its allocation window ---------------


def load_allocation_epoch(*, users: int = 100_000, allocations: int = 1_000_000,
                          projects: int = 100) -> dict:
    """The local chain in the allocation window of EPOCH, every earlier pending snapshot in place, and
    EPOCH's pending snapshot, budgets, users, UQ scores, projects, allocations, allocation requests and
    project funding aggregates, all consistent. The first KEYED_FRESH users have real keys and no
    allocation; the next KEYED_REALLOC have real keys and one allocation request (nonce 0)."""
    from allocations import funding
    from allocations.models import Allocation, AllocationRequest, DonorFunding, UniquenessQuotient
    from deposits.models import Budget
    from rewards import engine as rewards_engine
    from epochs.models import PendingEpochSnapshot
    from epochs.selectors import chain_view
    from epochs.services import epochs_index
    from octant.core.numeric import decimal_string
    from projects.models import Project
    from users.models import User

    rng = random.Random(SEED)
    chain = configure_chain(last_epoch=EPOCH + 1)
    window_open = epoch_start(EPOCH + 1)
    now_ts = window_open + WINDOW // 2
    chain.set_time(timestamp=now_ts)
    epochs_index(view=chain_view())

    project_list = checksum_addresses(rng, projects)
    Project.objects.bulk_create(Project(epoch=EPOCH, address=a, name=f"Project {i}")
                                for i, a in enumerate(project_list))
    addresses = [a.address for a in keyed_accounts()] + checksum_addresses(rng, users - KEYED_FRESH - KEYED_REALLOC)
    deposits = [(a, rng.randrange(100 * GLM, 5_000 * GLM)) for a in addresses]
    total = sum(d for _, d in deposits)
    for epoch in range(1, EPOCH + 1):
        rewards = rewards_engine.octant_rewards(epoch, staking_proceeds=PROCEEDS, total_effective_deposit=total)
        PendingEpochSnapshot.objects.create(
            epoch=epoch, eth_proceeds=rewards.staking_proceeds, total_effective_deposit=total,
            locked_ratio=decimal_string(rewards.locked_ratio), total_rewards=rewards.total_rewards,
            vanilla_individual_rewards=rewards.vanilla_individual_rewards, operational_cost=rewards.operational_cost,
            ppf=rewards.ppf or None, community_fund=rewards.community_fund or None)
    budgets = dict(rewards_engine.user_budgets(
        EPOCH, deposits=deposits, total_effective_deposit=total,
        vanilla_individual_rewards=rewards.vanilla_individual_rewards, ppf=rewards.ppf))
    now = created_at()
    insert_rows(Budget, ["epoch", "address", "amount", "created_at"],
                ((EPOCH, a, amount, now) for a, amount in budgets.items()))

    allocating = users - KEYED_FRESH
    base, extra = divmod(allocations, allocating)
    user_rows, uq_rows, request_rows, allocation_rows = [], [], [], []
    uqs = {"1.0": Decimal("1.0"), "0.01": Decimal("0.01")}
    for user_id, address in enumerate(addresses, start=1):
        allocates = user_id > KEYED_FRESH
        user_rows.append((user_id, address, 0 if allocates else None, now))
        if not allocates:
            continue
        score = "1.0" if rng.random() < 0.7 else "0.01"
        uq_rows.append((user_id, EPOCH, score, now))
        request_rows.append((user_id, EPOCH, 0, "0x" + "00" * 65, False, None,
                             window_open + rng.randrange(WINDOW // 2), now))
        count = base + (user_id - KEYED_FRESH <= extra)
        spend = budgets[address] * rng.randrange(20, 101) // 100
        weights = [rng.randrange(1, 100) for _ in range(count)]
        weights_sum = sum(weights)
        for project, weight in zip(rng.sample(project_list, count), weights):
            allocation_rows.append((user_id, project, spend * weight // weights_sum, uqs[score]))
    insert_rows(User, ["id", "address", "allocation_nonce", "created_at"], user_rows)
    insert_rows(UniquenessQuotient, ["user_id", "epoch", "score", "created_at"], uq_rows)
    insert_rows(AllocationRequest, ["user_id", "epoch", "nonce", "signature", "is_manually_edited", "leverage",
                                    "timestamp", "created_at"], request_rows)
    insert_rows(Allocation, ["id", "user_id", "epoch", "nonce", "project_address", "amount", "deleted_at",
                             "created_at"],
                ((row_id, user_id, EPOCH, 0, project, amount, None, now)
                 for row_id, (user_id, project, amount, _) in enumerate(allocation_rows, start=1)))

    funding.epoch_funding_rebuild(epoch=EPOCH)  # every aggregate, as a bulk load must (manage.py funding_rebuild)
    finish_load(User, Allocation, DonorFunding)
    return {"users": len(user_rows), "budgets": len(budgets), "allocations": len(allocation_rows),
            "requests": len(request_rows), "projects": projects}
