"""The mainnet staking proceeds from the records the backend fetches (docs/rewards.md §3.1.1). Pure: no Django
import. The one definition: `octant.chain.proceeds` (the Etherscan and Bitquery reads) calls it, and
`rewards.engine` re-exports it with the rest of the reward math."""
from collections.abc import Iterable, Mapping
from decimal import Decimal

from octant.core.numeric import reference_context

BEACON_DEPOSIT_GWEI = 32_000_000_000  # a withdrawal this large includes the validator principal


def mev_proceeds(normal_txs: Iterable[Mapping], internal_txs: Iterable[Mapping], *, withdrawals_target: str) -> int:
    """MEV part: Etherscan "normal" then "internal" transactions to the withdrawals target.

    Drops errored transactions (isError == "1"), then repeated hashes (the first one stays), then keeps
    plain transfers (empty or missing functionName) whose `to` is the target, case-insensitively.
    """
    target = withdrawals_target.lower()
    seen = set()
    total = 0
    for tx in [*normal_txs, *internal_txs]:
        if str(tx.get("isError", "0")) == "1" or tx["hash"] in seen:
            continue
        seen.add(tx["hash"])
        if str(tx.get("to", "")).lower() == target and not tx.get("functionName"):
            total += int(tx["value"])
    return total


def withdrawals_proceeds(withdrawals: Iterable[Mapping]) -> int:
    """Beacon withdrawals: unique by `withdrawalIndex`, gwei minus the 32 ETH principal, in wei."""
    seen = set()
    total_gwei = 0
    for withdrawal in withdrawals:
        if withdrawal["withdrawalIndex"] in seen:
            continue
        seen.add(withdrawal["withdrawalIndex"])
        amount = int(withdrawal["amount"])
        total_gwei += amount - BEACON_DEPOSIT_GWEI if amount >= BEACON_DEPOSIT_GWEI else amount
    return total_gwei * 10**9


def eth_float_to_wei(value: float) -> int:
    """A float ETH amount in wei, through its shortest repr, as web3's `to_wei` does."""
    with reference_context() as context:
        context.prec = 999
        return int(Decimal(repr(float(value))) * 10**18)


def mainnet_staking_proceeds(
    *,
    normal_txs: Iterable[Mapping],
    internal_txs: Iterable[Mapping],
    withdrawals: Iterable[Mapping],
    block_rewards_eth: float,
    withdrawals_target: str,
) -> int:
    """P = MEV + withdrawals + block rewards."""
    return (
        mev_proceeds(normal_txs, internal_txs, withdrawals_target=withdrawals_target)
        + withdrawals_proceeds(withdrawals)
        + eth_float_to_wei(block_rewards_eth)
    )
