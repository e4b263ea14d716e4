"""Both backends return what they read; the apps' services store it (deposits.services.deposit_events_sync,
sablier_streams_sync; projects.services.projects_sync): a re-sync adds nothing, and each batch is stored with
its cursor in one transaction, so an error midway stores nothing of that batch and a re-run resumes."""
import pytest
from django.db import IntegrityError, connection

from deposits.models import DepositEvent, SablierStream
from deposits.services import deposit_events_sync, sablier_streams_sync
from octant.chain import local
from octant.chain.backends import get_chain
from octant.chain.models import IndexCursor, LocalDepositEvent
from projects.models import Project
from projects.services import projects_sync

from tests.fixtures.chain import START

ALICE = "0x00000000000000000000000000000000000000AA"
BOB = "0x00000000000000000000000000000000000000bb"
GLM = 10**18


def sync_projects() -> int:
    return projects_sync(current_epoch=get_chain().current_epoch())


def events():
    return list(DepositEvent.objects.order_by("timestamp", "id").values_list(
        "address", "type", "amount", "before", "after", "source"))


def test_the_local_chain_is_stored_by_the_services_and_a_resync_adds_nothing(scheduled_chain):
    chain = scheduled_chain
    chain.lock(ALICE, 300 * GLM)
    chain.unlock(ALICE, 100 * GLM)
    chain.set_time(timestamp=START + 10)
    stream = chain.stream_create(ALICE, 50 * GLM, duration=100)
    chain.add_project(1, BOB, name="Bob's")
    assert DepositEvent.objects.count() == SablierStream.objects.count() == Project.objects.count() == 0

    assert (deposit_events_sync(), sablier_streams_sync(), sync_projects()) == (2, 1, 1)
    assert events() == [(ALICE, "lock", 300 * GLM, 0, 300 * GLM, "octant"),
                        (ALICE, "unlock", 100 * GLM, 300 * GLM, 200 * GLM, "octant"),
                        (ALICE, "lock", 50 * GLM, 200 * GLM, 250 * GLM, "sablier")]
    stored = SablierStream.objects.get()
    assert (stored.stream_id, stored.recipient, stored.deposit_amount, stored.intact_amount, stored.start_time,
            stored.end_time, stored.cancelled) == (stream.stream_id, ALICE, 50 * GLM, 50 * GLM, START + 10,
                                                   START + 110, False)
    assert list(Project.objects.values_list("epoch", "address", "name")) == [(1, BOB, "Bob's")]
    assert (deposit_events_sync(), sablier_streams_sync(), sync_projects()) == (0, 0, 0)
    assert len(events()) == 3
    assert chain.total_locked() == 250 * GLM

    chain.set_time(timestamp=START + 60)
    chain.stream_withdraw(stream.stream_id, 20 * GLM)
    chain.stream_cancel(stream.stream_id)
    assert (deposit_events_sync(), sablier_streams_sync()) == (0, 2)
    stored.refresh_from_db()
    assert (stored.withdrawn_amount, stored.intact_amount, stored.cancelled) == (20 * GLM, 5 * GLM, True)
    assert events()[-2:] == [(ALICE, "unlock", 20 * GLM, 250 * GLM, 230 * GLM, "sablier"),
                             (ALICE, "unlock", 25 * GLM, 230 * GLM, 205 * GLM, "sablier")]
    assert sablier_streams_sync() == 0


def test_a_local_registration_renames_only_where_it_names_the_project(scheduled_chain):
    chain = scheduled_chain
    chain.add_project(1, BOB, name="Old")
    chain.add_project(1, BOB)  # registered again without a name before any sync: the name stays
    assert sync_projects() == 1 and Project.objects.get().name == "Old"
    Project.objects.update(name="Curated")  # staff renamed it
    chain.add_project(1, BOB)
    assert sync_projects() == 0 and Project.objects.get().name == "Curated"
    chain.add_project(1, BOB, name="New")
    assert sync_projects() == 0 and Project.objects.get().name == "New"


def _abort_insert_of(key: str):
    """A database fault: inserting the deposit event `key` fails (a trigger, no code of ours replaced)."""
    table = DepositEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION fail_one() RETURNS trigger AS $$ BEGIN RAISE unique_violation USING "
                       f"MESSAGE = 'injected fault'; END $$ LANGUAGE plpgsql")
        cursor.execute(f"CREATE TRIGGER fail_one BEFORE INSERT ON {table} FOR EACH ROW WHEN (NEW.key = '{key}') "
                       "EXECUTE FUNCTION fail_one()")


def _heal():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER fail_one ON {DepositEvent._meta.db_table}")
        cursor.execute("DROP FUNCTION fail_one()")


def test_the_cursor_and_the_rows_commit_together(scheduled_chain, monkeypatch):
    monkeypatch.setattr(local, "BATCH_ROWS", 2)
    for n in range(1, 6):
        scheduled_chain.lock(ALICE, n * GLM)
    ids = list(LocalDepositEvent.objects.values_list("id", flat=True))
    _abort_insert_of(f"local:{ids[2]}")  # the first row of the second batch
    with pytest.raises(IntegrityError):
        deposit_events_sync()
    assert DepositEvent.objects.count() == 2 and IndexCursor.block_of("local:deposits") == ids[1]
    _heal()
    assert deposit_events_sync() == 3  # resumes at the failed batch
    assert IndexCursor.block_of("local:deposits") == ids[-1]
    assert [e[4] for e in events()] == [1 * GLM, 3 * GLM, 6 * GLM, 10 * GLM, 15 * GLM]
    assert deposit_events_sync() == 0


def test_the_ethereum_backend_is_stored_by_the_same_services(deployment):
    chain = deployment
    alice = chain.account(41)
    chain.set_projects(1, [BOB])
    chain.travel(chain.start + 1)
    chain.lock(alice, 200 * GLM)
    chain.unlock(alice, 50 * GLM)
    chain.sync_subgraph()
    assert get_chain().name == "ethereum"
    assert (deposit_events_sync(), sync_projects()) == (2, 2)  # epochs 1 and 2 (the fall-back list)
    assert events() == [(alice.address, "lock", 200 * GLM, 0, 200 * GLM, "octant"),
                        (alice.address, "unlock", 50 * GLM, 200 * GLM, 150 * GLM, "octant")]
    assert set(Project.objects.values_list("epoch", "address")) == {(1, BOB), (2, BOB)}
    assert (deposit_events_sync(), sync_projects()) == (0, 0)
    assert IndexCursor.block_of("lockeds") == IndexCursor.block_of("unlockeds") == chain.w3.eth.block_number
