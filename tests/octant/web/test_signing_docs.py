"""The signing documentation in the OpenAPI schema is exact: its worked examples verify with our own
signature checks, and the schema carries them (issue 13, item 5)."""
import pytest
from eth_account import Account

from octant.core import signatures
from octant.web import signing_docs as docs

from tests.fixtures.window import PROJECTS, USERS


def test_the_worked_examples_verify():
    assert Account.from_key(docs.EXAMPLE_KEY).address == docs.EXAMPLE_ADDRESS
    payload = docs.ALLOCATE_EXAMPLE.value["payload"]
    digest = signatures.allocation_digest(payload, chain_id=docs.EXAMPLE_CHAIN_ID)
    assert "0x" + digest.hex() == docs.ALLOCATION_DIGEST
    assert signatures.recover_address(digest, docs.ALLOCATION_SIGNATURE) == docs.EXAMPLE_ADDRESS
    assert payload["nonce"] == 0
    tos = signatures.eip191_digest(signatures.tos_message(docs.EXAMPLE_ADDRESS))
    assert signatures.recover_address(tos, docs.TOS_SIGNATURE) == docs.EXAMPLE_ADDRESS
    patron = signatures.eip191_digest(signatures.patron_mode_message(docs.EXAMPLE_ADDRESS, enable=True))
    assert signatures.recover_address(patron, docs.PATRON_ENABLE_SIGNATURE) == docs.EXAMPLE_ADDRESS
    patron = signatures.eip191_digest(signatures.patron_mode_message(docs.EXAMPLE_ADDRESS, enable=True, nonce=2))
    assert signatures.recover_address(patron, docs.PATRON_ENABLE_NONCE_SIGNATURE) == docs.EXAMPLE_ADDRESS
    assert signatures.patron_mode_message(docs.EXAMPLE_ADDRESS, enable=True, nonce=2) in docs.PATRON_MODE
    # the texts shown are the texts checked
    assert signatures.tos_message(docs.EXAMPLE_ADDRESS).replace(docs.EXAMPLE_ADDRESS, "<checksummed address>") in docs.TOS
    assert signatures.patron_mode_message(docs.EXAMPLE_ADDRESS, enable=True) in docs.PATRON_MODE
    assert signatures.ALLOCATION_PAYLOAD_TYPE.replace(signatures.ALLOCATION_TYPE, "") in docs.ALLOCATE
    assert signatures.ALLOCATION_TYPE in docs.ALLOCATE and signatures.EIP712_DOMAIN_TYPE in docs.ALLOCATE


def test_the_schema_carries_the_signing_documentation(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    allocate = schema["paths"]["/allocations/allocate"]["post"]
    assert "EIP712Domain(string name,string version,uint256 chainId)" in allocate["description"]
    [example] = allocate["requestBody"]["content"]["application/json"]["examples"].values()
    assert example["value"]["payload"]["nonce"] == 0 and example["value"]["signature"] == docs.ALLOCATION_SIGNATURE
    tos = schema["paths"]["/user/{user_address}/tos"]["post"]
    assert "Welcome to Octant." in tos["description"] and docs.TOS_SIGNATURE in tos["description"]
    patron = schema["paths"]["/user/{user_address}/patron-mode"]["patch"]
    assert "enable patron mode for address" in patron["description"] and "Nonce: <nonce>." in patron["description"]
    nonce = schema["paths"]["/user/{user_address}/patron-mode/nonce"]["get"]
    assert "EIP-191" in nonce["description"]


def _python_block(path) -> str:
    import re

    [block] = re.findall(r"```python\n(.*?)```", path.read_text(), re.DOTALL)
    return block


@pytest.mark.django_db(transaction=True)
def test_the_docs_client_allocates_against_a_live_server(live_server, window, monkeypatch, capsys):  # noqa: F811
    """docs/signing.md's Python block, run as written against a real HTTP server (an open allocation window)."""
    from django.conf import settings

    from allocations.models import Allocation

    block = _python_block(settings.BASE_DIR / "docs" / "signing.md")
    assert len([line for line in block.splitlines() if line.strip()]) <= 16
    monkeypatch.setenv("OCTANT_API", live_server.url)
    monkeypatch.setenv("OCTANT_KEY", "0x" + USERS[0].key.hex().removeprefix("0x"))
    monkeypatch.setenv("OCTANT_PROJECT", PROJECTS[1])
    exec(compile(block, "docs/signing.md", "exec"), {})
    assert capsys.readouterr().out == "201 null\n"
    assert list(Allocation.objects.values_list("user__address", "project_address", "amount")) == [
        (USERS[0].address, PROJECTS[1], 10**15)]
