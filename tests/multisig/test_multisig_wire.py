"""The multisig group's body byte for byte (keys, key order, nulls) as its output serializer renders it."""
import json

from multisig.models import MultisigSignature

from tests.fixtures.safe import SAFE


def test_pending_signature_body(api, db):
    path = f"/multisig-signatures/pending/{SAFE}/type/tos"
    assert api.get(path).content == b'{"message":null,"hash":null}'
    MultisigSignature.objects.create(address=SAFE, type="tos", message="I accept", msg_hash="0x" + "1" * 64,
                                     safe_msg_hash="0x" + "2" * 64, user_ip="127.0.0.1")
    assert api.get(path).content == json.dumps({"message": "I accept", "hash": "0x" + "2" * 64},
                                               separators=(",", ":")).encode()
    assert api.get(f"/multisig-signatures/pending/{SAFE}/type/allocation").content == b'{"message":null,"hash":null}'
