"""A patron-mode signature switches the mode once (issue 25, item 1). The legacy text carries no nonce and a
wallet signs it to the same bytes every time: an old "enable" signature, sent again after the user switched
back and allocated, withdrew their allocations. Now each legacy text is accepted once per address and action,
and a toggle after that signs the text with the user's patron-mode nonce, which moves with every toggle."""
import importlib

from django.apps import apps

from allocations.models import Allocation
from octant.core.signatures import eip191_digest, patron_mode_message
from users.models import PatronEvent, UsedPatronMessage

from tests.fixtures.window import PROJECTS, USERS, sign
from tests.users.test_users_apis import personal_sign

ALICE, BOB, CAROL = USERS
P1 = PROJECTS[0]


def toggle(api, signature, address=ALICE.address):
    return api.patch(f"/user/{address}/patron-mode", {"signature": signature}, format="json")


def live(address=ALICE.address) -> list:
    return list(Allocation.objects.filter(user__address=address, deleted_at__isnull=True).values_list(
        "project_address", "amount"))


def test_a_replayed_enable_signature_changes_nothing(api, window):
    enable = personal_sign(ALICE, patron_mode_message(ALICE.address, enable=True))
    disable = personal_sign(ALICE, patron_mode_message(ALICE.address, enable=False))
    assert api.post("/allocations/allocate", sign(ALICE, [(P1, 10**18)], 0), format="json").status_code == 201
    assert toggle(api, enable).json() == {"status": True}  # the web client's first toggle: the legacy text
    assert live() == []
    assert toggle(api, disable).json() == {"status": False}
    assert api.post("/allocations/allocate", sign(ALICE, [(P1, 2 * 10**18)], 1), format="json").status_code == 201

    nonce_text = patron_mode_message(ALICE.address, enable=True, nonce=2)
    assert nonce_text == f"Signing this message will enable patron mode for address {ALICE.address}. Nonce: 2."
    twin = enable[:-2] + f"{int(enable[-2:], 16) - 27:02x}"  # the same signature with v as 0/1
    for replay in (enable, twin):
        response = toggle(api, replay)
        assert response.status_code == 400
        assert response.json() == {"message": "This patron-mode signature was used already and cannot be used "
                                              f"again; sign this message instead: {nonce_text}"}
    assert api.get(f"/user/{ALICE.address}/patron-mode").json() == {"status": False}
    assert live() == [(P1, 2 * 10**18)] and PatronEvent.objects.count() == 2

    assert api.get(f"/user/{ALICE.address}/patron-mode/nonce").json() == {"nonce": 2, "message": nonce_text}
    signed = personal_sign(ALICE, nonce_text)
    assert toggle(api, signed).json() == {"status": True}  # the re-toggle, with the nonce
    assert live() == []
    again = toggle(api, signed)  # now it would have to say disable, and the nonce has moved on
    assert again.status_code == 400 and again.json()["message"].startswith("Given signature")
    disable3 = personal_sign(ALICE, patron_mode_message(ALICE.address, enable=False, nonce=3))
    assert toggle(api, disable3).json() == {"status": False}
    for replay in (signed, disable3, disable):  # none switches it again
        assert toggle(api, replay).status_code == 400
    assert api.get(f"/user/{ALICE.address}/patron-mode").json() == {"status": False}
    assert PatronEvent.objects.count() == 4


def test_the_legacy_text_is_per_address_and_action(api, window):
    """Another user's first legacy toggle, and a user's first legacy disable, are still taken."""
    bob_enable = personal_sign(BOB, patron_mode_message(BOB.address, enable=True))
    assert toggle(api, personal_sign(ALICE, patron_mode_message(ALICE.address, enable=True))).status_code == 200
    assert toggle(api, bob_enable, BOB.address).json() == {"status": True}
    assert toggle(api, personal_sign(BOB, patron_mode_message(BOB.address, enable=False)), BOB.address).json() == {
        "status": False}
    assert toggle(api, bob_enable, BOB.address).status_code == 400
    assert toggle(api, "0x1234", BOB.address).json()["message"].startswith("Given signature")  # forged: as before
    assert api.get(f"/user/{CAROL.address}/patron-mode/nonce").json() == {
        "nonce": 0, "message": patron_mode_message(CAROL.address, enable=True, nonce=0)}


def test_the_migration_marks_the_legacy_texts_toggled_before_it_used(db):
    PatronEvent.objects.create(address=ALICE.address, enabled=True, timestamp=1)
    PatronEvent.objects.create(address=ALICE.address, enabled=False, timestamp=2)
    PatronEvent.objects.create(address=ALICE.address, enabled=True, timestamp=3)
    PatronEvent.objects.create(address=BOB.address, enabled=True, timestamp=4)
    importlib.import_module("users.migrations.0004_used_patron_message").backfill(apps, None)
    assert set(UsedPatronMessage.objects.values_list("digest", flat=True)) == {
        eip191_digest(patron_mode_message(address, enable=enable)).hex()
        for address, enable in [(ALICE.address, True), (ALICE.address, False), (BOB.address, True)]}
