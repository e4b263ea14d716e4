"""The reference's numeric model (docs/rewards.md §0). Pure: no Django import.

Every Decimal operation of the reward math is rounded to 28 significant digits, half-even: the default
`decimal` context, which the reference never changes. We do not rely on the process-wide context (other
code could change it); the engines run their Decimal arithmetic inside `reference_context()`, a
thread- and task-local copy of `CONTEXT`, and leave the caller's context untouched.

Conventions used in the docstrings of the engines, as in docs/rewards.md §0: ⊕ ⊖ ⊗ ⊘ are the rounded operations,
`trunc` is `int()` (truncation toward zero) and `fl(·)` marks an IEEE-754 double step that the reference
takes and that we reproduce on purpose.
"""
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

# Same values as decimal.DefaultContext, spelled out so a change of the global default cannot reach us.
CONTEXT = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

ZERO = Decimal(0)


def reference_context():
    """Context manager: run the enclosed Decimal arithmetic in (a copy of) the 28-digit reference context."""
    return localcontext(CONTEXT)


def decimal_string(value) -> str:
    """str() of a Decimal, except that zero is "0" (not "0E-27"), as the reference shows it."""
    return "0" if value == 0 else str(value)
