"""Which rule set (variant table, docs/rewards.md §1.2) this deployment follows, from the settings.

`EPOCH_RULES`: "mainnet" (Octant mainnet's history: epochs 1-3 had other costs and no PPF), "current"
(today's rules for every epoch, as the reference's v2 app applies them), or "" (the default: mainnet
when CHAIN_ID is 1, else current). `EXACT_REWARDS_FROM_EPOCH`: the first epoch whose capped QF runs
exactly (integer square roots, exact sums); unset = never. The pure engines take the table as `rules=`.
"""
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rewards.variants import RuleSet, rule_set

RULE_SET_NAMES = ("mainnet", "current")


def epoch_rules() -> RuleSet:
    name = (getattr(settings, "EPOCH_RULES", "") or "").strip().lower()
    if name and name not in RULE_SET_NAMES:
        raise ImproperlyConfigured(f"EPOCH_RULES must be one of {RULE_SET_NAMES} or empty, got {name!r}")
    history = name == "mainnet" if name else settings.CHAIN_ID == 1
    exact_from = getattr(settings, "EXACT_REWARDS_FROM_EPOCH", None)
    if exact_from is not None and int(exact_from) < 1:
        raise ImproperlyConfigured("EXACT_REWARDS_FROM_EPOCH must be an epoch number >= 1")
    return _table(history, None if exact_from is None else int(exact_from))


@lru_cache(maxsize=8)
def _table(history: bool, exact_from: int | None) -> RuleSet:
    return rule_set(history=history, exact_from=exact_from)
