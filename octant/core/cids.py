"""Content identifiers for what the service serves at `/ipfs/` (docs/lifecycle.md §8.2). Pure: no Django import."""
import base64
import hashlib

RAW_SHA256 = bytes([0x01, 0x55, 0x12, 0x20])  # CIDv1, codec raw, multihash sha2-256 of 32 bytes


def cid_of(data: bytes) -> str:
    """The CIDv1 of `data` as one raw block (sha2-256), in multibase base32: `bafkrei` and 52 more lowercase
    letters and digits. Stable (the same bytes, the same CID) and URL-safe."""
    digest = hashlib.sha256(data).digest()
    return "b" + base64.b32encode(RAW_SHA256 + digest).decode().lower().rstrip("=")
