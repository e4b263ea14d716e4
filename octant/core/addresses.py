"""Ethereum address helpers (pure: no Django import). EIP-55 with eth-hash's keccak, not eth_utils, whose
import alone (pydantic included) costs about half a second of every `manage.py chain` command."""
import re

_HEX_ADDRESS = re.compile(r"0[xX]([0-9a-fA-F]{40})")  # the 0x is required


def checksum(value: str) -> str:
    """EIP-55 form of a 0x-hex address in any case; ValueError if it is not an address."""
    from eth_hash.auto import keccak

    match = _HEX_ADDRESS.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"Invalid address: {value!r}")
    lower = match.group(1).lower()
    digest = keccak(lower.encode()).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest))
