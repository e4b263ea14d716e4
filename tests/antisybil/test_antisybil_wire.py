"""The antisybil group's bodies byte for byte (keys, key order, strings, booleans) as their output serializers
render them."""
from model_bakery import baker

from antisybil import selectors
from antisybil.models import PassportListEntry, PassportStamps, ScoreDelegation
from users.models import User

from tests.fixtures.window import USERS

ALICE, BOB, CAROL = USERS
EXPIRY = 4_000_000_000


def test_antisybil_status_body(api, db, settings):
    settings.PASSPORT_BACKEND = "scorer"  # no local chain score for an address without stamps
    baker.make(PassportStamps, user=User.objects.create(address=ALICE.address), score="12.5", expires_at=EXPIRY,
               stamps=[])
    expected = f'{{"status":"Known","score":"12.5","expiresAt":"{EXPIRY}","isOnTimeOutList":false}}'
    assert api.get(f"/user/{ALICE.address}/antisybil-status").content == expected.encode()
    PassportListEntry.objects.create(kind=PassportListEntry.Kind.TIMEOUT, address=ALICE.address)
    expected = f'{{"status":"Known","score":"0.0","expiresAt":"{EXPIRY}","isOnTimeOutList":true}}'
    assert api.get(f"/user/{ALICE.address}/antisybil-status").content == expected.encode()


def test_delegation_check_body(api, db, settings):
    settings.DELEGATION_SALT, settings.DELEGATION_SALT_PRIMARY = "salt", "salt-primary"
    ScoreDelegation.objects.create(hashed_addr=selectors.pair_hash(BOB.address, ALICE.address))
    response = api.get(f"/delegation/check/{ALICE.address},{BOB.address}")
    assert response.content == f'{{"primary":"{BOB.address}","secondary":"{ALICE.address}"}}'.encode()
