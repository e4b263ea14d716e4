"""What a client signs, for the OpenAPI descriptions (issue 13): the EIP-712 domain and types of an
allocation and the EIP-191 texts of the terms of service and patron mode, each with a worked example that
tests verify (tests/octant/web/test_signing_docs.py). The example signer's private key is 0x0707...07 (32 bytes of
7s); never use it for anything real."""
from drf_spectacular.utils import OpenApiExample

EXAMPLE_KEY = "0x" + "07" * 32
EXAMPLE_ADDRESS = "0x4a62316623ad457F02cDC5D997deD67a383EC569"
EXAMPLE_PROJECT = "0x1111111111111111111111111111111111111111"
EXAMPLE_CHAIN_ID = 1
ALLOCATION_SIGNATURE = ("0x260283019875352370f49aeed14249f8f4f4467a4b469fd5ba9788a366f22ce67fe994de39133139950db9c03b3ff3"
                        "71a7a281a2b31955a620cfd5374586fa4e1b")
ALLOCATION_DIGEST = "0xb93a1e7f107bf99a555717515f15516e4bb38e89b83b324278ae958ebca45741"
TOS_SIGNATURE = ("0x04fe12f6d9d7dffecacf48a0a95aad4e5de6f3908645077c25d782757ab381f007c0fdf46f39b4c3058e8ca441352672"
                 "40b36de580f43469660cf2307088c4001b")
PATRON_ENABLE_SIGNATURE = ("0xa1d9cc0b7cbd9ec91b3c6333410244af209104e164d902794249ac794acffbc339c983d2ca40ee846ae08290"
                           "082a802b9faebfc04b45ff07e228fae899c4aaef1c")

ALLOCATE = f"""Allocate the caller's budget of the epoch whose allocation window is open. Answers 201 with the
JSON body `null`. Request keys may also be snake_case (`user_address`, `is_manually_edited`,
`proposal_address`).

**What to sign: EIP-712 typed data** (`eth_signTypedData_v4`), signed by `userAddress`:

* domain: `{{"name": "Octant", "version": "1.0.0", "chainId": <CHAIN_ID>}}`: no `verifyingContract`, no
  `salt`; the chain id is the deployment's (`GET /info/chain-info` → `chainId`).
* types:
  `EIP712Domain(string name,string version,uint256 chainId)`,
  `Allocation(address proposalAddress,uint256 amount)`,
  `AllocationPayload(Allocation[] allocations,uint256 nonce)`; primaryType `AllocationPayload`.
* message: the request's `payload` with each `amount` as an integer (wei) and the allocations in the
  order sent. `nonce` is `GET /allocations/users/{{address}}/allocation_nonce` → `allocationNonce`: 0 for
  a first allocation, then one more than the last one used.
* signature: 65 bytes r‖s‖v as 0x-hex (v 27/28 or 0/1). Contract wallets: EIP-1271 (legacy
  `isValidSignature(bytes,bytes)`) on the same digest.

Worked example (chainId {EXAMPLE_CHAIN_ID}, private key `{EXAMPLE_KEY}`, address `{EXAMPLE_ADDRESS}`): the
payload `{{"allocations": [{{"proposalAddress": "{EXAMPLE_PROJECT}", "amount": "1000000000000000"}}],
"nonce": 0}}` has the digest `{ALLOCATION_DIGEST}` and the signature `{ALLOCATION_SIGNATURE}`."""

ALLOCATE_EXAMPLE = OpenApiExample(
    "first allocation (nonce 0), chainId 1",
    value={"userAddress": EXAMPLE_ADDRESS,
           "payload": {"allocations": [{"proposalAddress": EXAMPLE_PROJECT, "amount": "1000000000000000"}],
                       "nonce": 0},
           "signature": ALLOCATION_SIGNATURE, "isManuallyEdited": False},
    request_only=True,
)

TOS = f"""Accept the terms of service. Answers 201 `{{"accepted": true}}`.

**What to sign: an EIP-191 personal message** (`personal_sign`) by the user, exactly these seven lines
joined with `\\n`, the address in its EIP-55 checksum form:

```
Welcome to Octant.
Please click to sign in and accept the Octant Terms of Service.

Signing this message will not trigger a transaction.

Your address
<checksummed address>
```

Worked example (private key `{EXAMPLE_KEY}`, address `{EXAMPLE_ADDRESS}`): the signature is
`{TOS_SIGNATURE}`."""

TOS_EXAMPLE = OpenApiExample("signed by the example key", value={"signature": TOS_SIGNATURE}, request_only=True)

PATRON_ENABLE_NONCE_SIGNATURE = ("0x0fd2919b65fc258a34ee9802b200f6ea3479aa58ec6a80aafd7da1c26e59b40260e5556def3e66628fb8"
                                 "b7de4e7bf53fd8bb2f23813fe2b23ee7fe908748dc321c")

PATRON_MODE = f"""Toggle patron mode; answers the new status. Patrons cannot allocate: their budget goes to
the matching pool (switching it on during an allocation window withdraws the user's allocations).

**What to sign: an EIP-191 personal message** (`personal_sign`) by the user, with the user's patron-mode
nonce (`GET /user/{{address}}/patron-mode/nonce` → `nonce`, and the whole text as `message`: 0 at first,
one more after each toggle). To switch it on (when it is off):
`Signing this message will enable patron mode for address <checksummed address>. Nonce: <nonce>.`; to
switch it off, the same with `disable`. A signed text switches the mode once: its nonce then moves on.

The legacy text without the nonce (`Signing this message will enable patron mode for address
<checksummed address>.`, or `disable`; Octant's web client signs it) is accepted once per address and
action: a wallet signs it to the same bytes every time, so it could be sent again by anyone who saw it. Sent
a second time it is refused (400) with the text to sign instead.

Worked example (private key `{EXAMPLE_KEY}`, address `{EXAMPLE_ADDRESS}`, patron mode off, nonce 2):
enabling signs `Signing this message will enable patron mode for address {EXAMPLE_ADDRESS}. Nonce: 2.`,
signature `{PATRON_ENABLE_NONCE_SIGNATURE}`; the legacy text
`Signing this message will enable patron mode for address {EXAMPLE_ADDRESS}.` has the signature
`{PATRON_ENABLE_SIGNATURE}`."""

PATRON_MODE_NONCE = """The user's patron-mode nonce (how many times their mode was switched) and `message`, the
EIP-191 text that switches it now (`PATCH /user/{address}/patron-mode` with its signature)."""

PATRON_MODE_EXAMPLE = OpenApiExample("enable with nonce 2, signed by the example key",
                                     value={"signature": PATRON_ENABLE_NONCE_SIGNATURE}, request_only=True)
