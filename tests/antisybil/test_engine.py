"""The UQ and the Passport score (docs/rewards.md §5.5): vectors §9.5.1-9.5.2."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from antisybil import engine

ONE, LOW = Decimal("1.0"), Decimal("0.01")


@pytest.mark.parametrize("score, timeout, expected", [(1, False, LOW), (14, False, LOW), (15, False, ONE), (27, False, ONE),
                                                      (20.0, False, ONE), (10.0, False, LOW), (27, True, Decimal("0.0"))])
def test_uq_score(score, timeout, expected):
    assert engine.uq_score(score, threshold=engine.uq_threshold(mainnet=True), on_timeout_list=timeout) == expected


def test_uq_score_thresholds_and_epoch_4_values():
    assert engine.uq_threshold(mainnet=False) == 5
    assert engine.uq_score(5, threshold=5) == ONE
    assert engine.uq_score(19.9, threshold=engine.EPOCH_4_UQ_THRESHOLD_MAINNET, low=engine.EPOCH_4_LOW_UQ_SCORE) == Decimal("0.2")


NOW = datetime(2024, 11, 1, tzinfo=timezone.utc)
FUTURE, PAST = NOW + timedelta(days=30), NOW - timedelta(days=30)


def test_passport_score_removes_staking_stamps_and_detects_guest_stamps():
    stamps = [{"provider": "AllowList#OctantFinal", "expiration": FUTURE},
              {"provider": "BeginnerCommunityStaker", "expiration": FUTURE}]
    assert engine.passport_score(100.0, stamps=stamps, on_guest_list=True, now=NOW) == 100 - 0.673
    expired = [dict(stamp, expiration=PAST) for stamp in stamps]
    assert engine.passport_score(100.0, stamps=expired, now=NOW) == 100.0
    assert engine.passport_score(100.0, stamps=expired, on_guest_list=True, now=NOW) == 121.0


def test_passport_score_antisybil_cases():
    stamps = [{"provider": "Linkedin", "expiration": "2090-01-01T00:00:00Z"},
              {"provider": "Discord", "expiration": "2099-01-01T00:00:00"},
              {"provider": "Discord", "expiration": "2024-06-10T00:00:00Z"}]
    assert engine.passport_score(2.572, stamps=stamps, now=NOW) == 2.572
    trusted = [{"provider": "TrustedCitizen", "expiration": FUTURE}]
    assert engine.passport_score(4.5, stamps=trusted, now=NOW) == 4.5 - 4.009 == pytest.approx(0.491)
    assert engine.passport_score(2.572, stamps=stamps, on_guest_list=True, now=NOW) == 2.572 + 21.0 == pytest.approx(23.572)
    own = [{"provider": "AllowList#OctantEpochTwo", "expiration": FUTURE}]
    assert engine.passport_score(22.0, stamps=own, on_guest_list=True, now=NOW) == 22.0
    assert engine.passport_score(0.0, now=NOW) == 0.0
    assert engine.passport_score(2.572, stamps=stamps, on_timeout_list=True, now=NOW) == 0.0
    assert engine.passport_score(None, on_guest_list=True, now=NOW) == 21.0
    assert engine.passport_score(None, now=NOW) == 0.0
