"""Ethereum address helpers (pure: no Django import)."""
from eth_utils import is_address, to_checksum_address


def checksum(value: str) -> str:
    """EIP-55 form of a 0x-hex address in any case; ValueError if it is not an address."""
    if not isinstance(value, str) or not is_address(value):
        raise ValueError(f"Invalid address: {value!r}")
    return to_checksum_address(value)
