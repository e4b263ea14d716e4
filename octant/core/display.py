"""How amounts and addresses read for people (pure: no Django import)."""
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

UNIT = 10**18


def token_amount(wei: int | None, symbol: str = "ETH") -> str:
    """`wei` in whole tokens with thousands separators: 4 decimals from 1 token up, 4 significant digits
    below (so small amounts never read as 0), trailing zeros dropped. '—' for None."""
    if wei is None:
        return "—"
    if wei == 0:
        return f"0 {symbol}"
    with localcontext() as context:
        context.prec = 100
        value = Decimal(wei) / UNIT
        if abs(value) >= 1:
            places = 4
        else:
            places = 3 - value.adjusted()  # adjusted() is the exponent of the first significant digit
        text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {symbol}"


def wei_exact(wei: int | None) -> str:
    """The exact figure with thousands separators, for hover text."""
    return "—" if wei is None else f"{wei:,} wei"


def short_address(address: str) -> str:
    """0x1234…abcd."""
    return f"{address[:6]}…{address[-4:]}" if address and len(address) > 12 else address or ""
