"""The uniqueness quotient from a Gitcoin Passport (docs/rewards.md §5.5): the GP score an address's stamps and the
guest and timeout lists give, and the UQ that score earns. Pure: no Django import."""
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from decimal import Decimal

UQ_THRESHOLD_MAINNET = 15
UQ_THRESHOLD_NOT_MAINNET = 5
MAX_UQ_SCORE = Decimal("1.0")
LOW_UQ_SCORE = Decimal("0.01")
NULLIFIED_UQ_SCORE = Decimal("0.0")
# Epoch 4 (inferred from commit dates, docs/rewards.md §5.5): threshold 20 on mainnet, LOW 0.2.
EPOCH_4_UQ_THRESHOLD_MAINNET = 20
EPOCH_4_LOW_UQ_SCORE = Decimal("0.2")

GUEST_LIST_SCORE_BONUS = 21.0
GTC_STAKING_STAMP_WEIGHTS = {
    "SelfStakingBronze": 0.897,
    "SelfStakingSilver": 2.066,
    "SelfStakingGold": 2.7,
    "BeginnerCommunityStaker": 0.673,
    "ExperiencedCommunityStaker": 2.161,
    "TrustedCitizen": 4.009,
}
GUEST_STAMP_PROVIDERS = frozenset(
    {"AllowList#OctantFinal", "AllowList#OctantEpochOne", "AllowList#OctantEpochTwo", "AllowList#OctantEpochThree"}
)


def uq_threshold(*, mainnet: bool) -> int:
    """The Passport score needed for the maximal UQ (v2 constants, §5.5)."""
    return UQ_THRESHOLD_MAINNET if mainnet else UQ_THRESHOLD_NOT_MAINNET


def uq_score(
    gp_score: float,
    *,
    threshold: float,
    on_timeout_list: bool = False,
    low: Decimal = LOW_UQ_SCORE,
    high: Decimal = MAX_UQ_SCORE,
) -> Decimal:
    """§5.5: 0.0 on the timeout list; else `high` if gp_score >= threshold (inclusive); else `low`."""
    if on_timeout_list:
        return NULLIFIED_UQ_SCORE
    return high if gp_score >= threshold else low


def _expires(stamp: Mapping) -> datetime:
    expiration = stamp["expiration"]
    if isinstance(expiration, str):
        expiration = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=timezone.utc)
    return expiration


def passport_score(
    score: float | None,
    *,
    stamps: Iterable[Mapping] = (),
    on_guest_list: bool = False,
    on_timeout_list: bool = False,
    now: datetime,
) -> float:
    """The GP score used for the UQ (§5.5), a float.

    No saved record (score None): 21.0 for guest-listed addresses, else 0.0. On the timeout list: 0.0.
    Otherwise the score minus the weights of non-expired GTC-staking stamps, plus 21.0 for a guest-listed
    address without a non-expired Octant allow-list stamp. Stamps are mappings with `provider` and
    `expiration` (datetime, naive = UTC, or ISO string).
    """
    if on_timeout_list:
        return 0.0
    if score is None:
        return GUEST_LIST_SCORE_BONUS if on_guest_list else 0.0
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    valid = [stamp for stamp in stamps if _expires(stamp) > now]
    for stamp in valid:
        score -= GTC_STAKING_STAMP_WEIGHTS.get(stamp["provider"], 0)
    if on_guest_list and not any(stamp["provider"] in GUEST_STAMP_PROVIDERS for stamp in valid):
        score += GUEST_LIST_SCORE_BONUS
    return score
