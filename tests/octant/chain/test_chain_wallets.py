"""`chain safe add` and the local chain's Safe: getMessageHash and EIP-1271 over owner signatures in the
Safe's encodings (v 27/28 over the hash, v 31/32 eth_sign), threshold and owner order enforced."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from eth_account import Account
from eth_account.messages import encode_defunct

from octant.core import signatures

from tests.fixtures.safe import OWNERS, SAFE, assert_two_of_three_rules, owner_signature, safe_message_hash

OWNER_ADDRESSES = [o.address for o in OWNERS]


def run(*args) -> list[dict]:
    out = StringIO()
    call_command("chain", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


sig = owner_signature


def test_safe_add_command(chain):
    safe, status = run("safe", "add", SAFE.lower(), "--owners", ",".join(OWNER_ADDRESSES), "--threshold", "2")
    assert safe == {"safe": SAFE, "owners": OWNER_ADDRESSES, "threshold": 2} and "now" in status
    assert chain.is_contract(SAFE) and not chain.is_contract(OWNER_ADDRESSES[0])
    for args, message in ((["--threshold", "4"], "between 1 and 3"), (["--threshold", "0"], "between 1 and 3")):
        with pytest.raises(CommandError, match=message):
            run("safe", "add", SAFE, "--owners", *OWNER_ADDRESSES, *args)
    with pytest.raises(CommandError, match="distinct owners"):
        run("safe", "add", SAFE, "--owners", OWNER_ADDRESSES[0], OWNER_ADDRESSES[0], "--threshold", "1")
    with pytest.raises(CommandError, match="Invalid address"):
        run("safe", "add", "0x12", "--owners", *OWNER_ADDRESSES, "--threshold", "1")
    with pytest.raises(CommandError, match="cannot own itself"):
        run("safe", "add", SAFE, "--owners", SAFE, "--threshold", "1")


def test_eip1271_signatures_of_the_local_safe(chain):
    chain.add_safe(SAFE, owners=OWNER_ADDRESSES, threshold=2)
    digest = signatures.eip191_digest("hello")
    msg_hash = safe_message_hash(digest)
    assert chain.safe_message_hash(SAFE, digest) == msg_hash

    assert_two_of_three_rules(chain, SAFE, digest, msg_hash)
    a = OWNERS[0]
    assert not chain.is_valid_eip1271_signature(SAFE, digest, "0xzz")
    assert not chain.is_valid_eip1271_signature(OWNER_ADDRESSES[0], digest, "0x" + sig(a, msg_hash).hex())


def test_one_signature_adapter_for_every_signed_action(chain):
    """ChainBackend.verify_signature: an EOA's EIP-191 text or EIP-712 digest, a Safe's through EIP-1271."""
    chain.add_safe(SAFE, owners=OWNER_ADDRESSES, threshold=2)
    a, b, _ = OWNERS
    text = "hello"
    digest = signatures.eip191_digest(text)
    personal = bytes(Account.sign_message(encode_defunct(text=text), a.key).signature)
    assert chain.verify_signature(a.address, text, personal)
    assert chain.verify_signature(a.address, digest, "0x" + personal.hex())  # the same, as a digest
    assert not chain.verify_signature(b.address, text, personal)
    msg_hash = safe_message_hash(digest)
    assert chain.verify_signature(SAFE, text, b"".join([sig(a, msg_hash), sig(b, msg_hash)]))
    assert not chain.verify_signature(SAFE, text, sig(a, msg_hash))  # below the threshold
