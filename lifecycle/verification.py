"""Every finalized epoch verified by itself (docs/lifecycle.md §1.9): the epoch recomputed from its stored
inputs with the pure engines, and checked against what its snapshots stored.

The inputs are re-read here from the tables (the pending snapshot's proceeds and effective deposits, the
live allocations with their frozen UQs, the patron-mode toggles, the projects); nothing is taken from the
finalization's code (`lifecycle.snapshots`, which this module sits under and never imports) or its
selectors. Each check is (name, expected, actual, margin, passed, detail), amounts in wei as strings; a
numeric check passes when |expected - actual| <= margin. The report (`withdrawals.models.EpochVerification`)
is written by `epoch_verify`, which the Celery task `epoch_verify_task` runs, queued on commit of the
finalized snapshot and by the beat tick for any finalized epoch the Vault is still waiting for; `manage.py
verify_epoch N` runs it for any finalized epoch."""
import logging
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from allocations import engine as allocations_engine
from allocations.models import Allocation, UniquenessQuotient
from antisybil import engine as antisybil_engine
from deposits.models import Budget, Deposit
from epochs.models import FinalizedEpochSnapshot, PendingEpochSnapshot
from epochs.rules import epoch_rules
from epochs.selectors import epoch_details
from octant.chain.backends import get_chain
from octant.core import metrics
from octant.core.exceptions import ChainUnavailable, InvalidEpoch
from octant.core.numeric import decimal_string
from octant.core.queue import coalesced_task, enqueue_once
from projects.models import Project
from rewards import engine as rewards_engine
from rewards.variants import ProjectRewards, variant
from users.models import PatronEvent
from withdrawals import engine as withdrawals_engine
from withdrawals.models import EpochVerification, Reward

logger = logging.getLogger(__name__)

# The UQs the rule of docs/rewards.md §5.5 gives (epoch 4's low value included), that a frozen UQ must be.
UQ_VALUES = {antisybil_engine.MAX_UQ_SCORE, antisybil_engine.LOW_UQ_SCORE, antisybil_engine.NULLIFIED_UQ_SCORE,
             antisybil_engine.EPOCH_4_LOW_UQ_SCORE}
FLOAT_QF_BITS = 50  # the float square roots move a matched value by less than MR / 2**50 + 2 wei (§1.9)
SHOWN = 5  # differing addresses named in a check's detail


@dataclass(frozen=True)
class Check:
    name: str
    expected: str
    actual: str
    margin: str
    passed: bool
    detail: str = ""


def _amount(name: str, expected: int | None, actual: int | None, *, margin: int = 0, detail: str = "") -> Check:
    """A numeric check: passes when both are there and |expected - actual| <= margin."""
    passed = expected is not None and actual is not None and abs(expected - actual) <= margin
    return Check(name, str(expected), str(actual), str(margin), passed, detail)


def _same(name: str, expected, actual, *, detail: str = "") -> Check:
    return Check(name, str(expected), str(actual), "0", expected == actual, detail)


def _differences(expected: dict[str, int], actual: dict[str, int]) -> tuple[int, str]:
    """How many addresses differ between two {address: amount}, and the first few of them."""
    wrong = sorted(a for a in expected.keys() | actual.keys() if expected.get(a) != actual.get(a))
    shown = "; ".join(f"{a}: expected {expected.get(a)}, actual {actual.get(a)}" for a in wrong[:SHOWN])
    return len(wrong), shown + (f"; {len(wrong) - SHOWN} more" if len(wrong) > SHOWN else "")


# --- the recomputation ---------------------------------------------------------------------------------

def epoch_checks(*, epoch: int) -> tuple[list[Check], bool]:
    """Every check of `epoch` (docs/lifecycle.md §1.9) and whether it runs in exact mode. InvalidEpoch if it
    is not finalized."""
    finalized = FinalizedEpochSnapshot.objects.filter(epoch=epoch).first()
    pending = PendingEpochSnapshot.objects.filter(epoch=epoch).first()
    if finalized is None or pending is None:
        raise InvalidEpoch()
    rules = epoch_rules()
    formulas = variant(epoch, rules=rules)
    exact = formulas.exact
    checks: list[Check] = []

    # The pending snapshot: TED from the stored effective deposits, the Octant rewards from P and TED.
    deposits = list(Deposit.objects.filter(epoch=epoch).order_by("id").values_list("address", "effective_deposit"))
    total_effective = sum(amount for _, amount in deposits)
    checks.append(_amount("total effective deposit (Σ stored EDs)", total_effective, pending.total_effective_deposit))
    rewards = rewards_engine.octant_rewards(epoch, staking_proceeds=pending.eth_proceeds,
                                            total_effective_deposit=total_effective, rules=rules)
    checks.append(_same("locked ratio", decimal_string(rewards.locked_ratio), pending.locked_ratio))
    for name, field in [("operational cost", "operational_cost"), ("total rewards", "total_rewards"),
                        ("vanilla individual rewards", "vanilla_individual_rewards"), ("PPF", "ppf"),
                        ("community fund", "community_fund")]:
        expected, actual = getattr(rewards, field), getattr(pending, field)
        checks.append(_same(name, expected, actual) if expected is None or actual is None
                      else _amount(name, expected, actual))

    # Budgets: each user's individual rewards share of their effective deposit.
    budgets = dict(rewards_engine.user_budgets(
        epoch, deposits=deposits, total_effective_deposit=total_effective,
        vanilla_individual_rewards=rewards.vanilla_individual_rewards, ppf=rewards.ppf, rules=rules))
    stored_budgets = dict(Budget.objects.filter(epoch=epoch).values_list("address", "amount"))
    wrong, shown = _differences(budgets, stored_budgets)
    checks.append(Check("user budgets (Σ, each from its effective deposit)", str(sum(budgets.values())),
                        str(sum(stored_budgets.values())), "0", not wrong,
                        f"{len(budgets)} budgets; {wrong} differ: {shown}" if wrong
                        else f"{len(budgets)} budgets, each equal"))

    # The live allocations in the order they were made, each with its donor's frozen UQ (none counts 0.0).
    uqs = {user: Decimal(score) for user, score in UniquenessQuotient.objects.filter(epoch=epoch).values_list(
        "user_id", "score")}
    allocations = [{"donor": donor, "project": project, "amount": amount, "uq": uqs.get(user)}
                   for user, donor, project, amount in Allocation.objects.filter(
                       epoch=epoch, deleted_at__isnull=True).order_by("id").values_list(
                       "user_id", "user__address", "project_address", "amount").iterator(chunk_size=20_000)]
    by_donor: dict[str, int] = {}
    donor_uqs: dict[str, Decimal | None] = {}
    for allocation in allocations:
        by_donor[allocation["donor"]] = by_donor.get(allocation["donor"], 0) + allocation["amount"]
        donor_uqs[allocation["donor"]] = allocation["uq"]
    odd = sorted(donor for donor, uq in donor_uqs.items() if uq is not None and uq not in UQ_VALUES)
    checks.append(_amount("donors whose UQ the UQ rule cannot give", 0, len(odd), detail="; ".join(
        f"{donor}: {donor_uqs[donor]}" for donor in odd[:SHOWN])))
    over = {donor: amount for donor, amount in by_donor.items() if amount > budgets.get(donor, 0)}
    checks.append(_amount("donors allocating more than their budget", 0, len(over), detail="; ".join(
        f"{donor}: {amount} > {budgets.get(donor, 0)}" for donor, amount in sorted(over.items())[:SHOWN])))

    # Patrons at the window's close, the matching pool.
    closed = epoch_details(epoch=epoch).finalized_at
    toggles = [{"user": user, "enabled": enabled, "created_at": at} for user, enabled, at in PatronEvent.objects.filter(
        timestamp__lte=closed).order_by("id").values_list("address", "enabled", "timestamp")]
    patrons = rewards_engine.patrons(toggles, at=closed)
    patrons_rewards = rewards_engine.patrons_rewards(budgets, patrons)
    checks.append(_amount("patrons' rewards", patrons_rewards, finalized.patrons_rewards,
                          detail=f"{len(patrons)} patrons"))
    rewards = rewards_engine.octant_rewards(epoch, staking_proceeds=pending.eth_proceeds,
                                            total_effective_deposit=total_effective, patrons_rewards=patrons_rewards,
                                            rules=rules)  # the same figures, now with the patrons' rewards
    matched = rewards.matched_rewards_or_patrons
    checks.append(_amount("matched rewards", matched, finalized.matched_rewards))
    checks.append(_amount("staking part reserved for v2", rewards.staking_matched_reserved,
                          finalized.staking_matched_reserved_for_v2))

    # Project rewards: (capped) quadratic funding over the allocations and their UQs, and each project's leaf.
    projects = list(Project.objects.filter(epoch=epoch).order_by("id").values_list("address", flat=True))
    result = allocations_engine.project_rewards(epoch, allocations=allocations, projects=projects,
                                                matched_rewards=matched, rules=rules)
    threshold = result.threshold
    project_leaves = {r.address: (r.allocated + r.matched, r.matched) for r in result.rewards
                      if r.allocated > 0 and (threshold is None or r.allocated > threshold)}
    rows = list(Reward.objects.filter(epoch=epoch).values_list("address", "amount", "matched"))
    stored_projects = {address: (amount, m) for address, amount, m in rows if m is not None}
    for address in sorted(project_leaves.keys() | stored_projects.keys()):
        expected, actual = project_leaves.get(address), stored_projects.get(address)
        checks.append(Check(
            f"project {address}: allocated + matched", "none" if expected is None else str(expected[0]),
            "none" if actual is None else str(actual[0]), "0", expected == actual,
            f"matched: expected {None if expected is None else expected[1]}, "
            f"actual {None if actual is None else actual[1]}"))
    float_qf = formulas.project_rewards is ProjectRewards.CAPPED_QUADRATIC_FUNDING and not exact
    if float_qf and allocations:
        integer = allocations_engine.exact_capped_qf_project_rewards(
            allocations=allocations, projects=projects, matched_rewards=matched,
            funding_cap_percent=formulas.funding_cap_percent)
        exact_matched = {r.address: r.matched for r in integer.rewards}
        gap = max((abs(exact_matched.get(address, 0) - m) for address, (_, m) in stored_projects.items()), default=0)
        checks.append(_amount("matched vs integer quadratic funding (largest difference per project)", 0, gap,
                              margin=(matched >> FLOAT_QF_BITS) + 2,
                              detail="the reference's float square roots (docs/rewards.md §0, §5.4) against "
                                     "integer square roots (§5.8)"))

    # Users' claimed rewards, total withdrawals, leftover.
    claimed = dict(rewards_engine.claimed_rewards(budgets, by_donor))
    stored_claims = {address: amount for address, amount, m in rows if m is None}
    wrong, shown = _differences(claimed, stored_claims)
    checks.append(Check("users' claimed rewards (Σ)", str(sum(claimed.values())), str(sum(stored_claims.values())),
                        "0", not wrong, f"{len(claimed)} claims; {wrong} differ: {shown}" if wrong
                        else f"{len(claimed)} claims, each equal"))
    total_withdrawals = rewards_engine.total_withdrawals(claimed_rewards_sum=sum(claimed.values()),
                                                         project_rewards_sum=result.rewards_sum)
    checks.append(_amount("total withdrawals (claimed + project rewards)", total_withdrawals,
                          finalized.total_withdrawals))
    leaves_sum = sum(amount for _, amount, _ in rows)
    checks.append(_amount("total withdrawals = Σ merkle leaves", leaves_sum, finalized.total_withdrawals,
                          margin=len(stored_projects) if float_qf else 0,
                          detail="capped QF truncates each project's matched value, total withdrawals their sum "
                                 "(docs/rewards.md §3.9): below 1 wei per project" if float_qf else ""))
    leftover = rewards_engine.leftover(
        epoch, staking_proceeds=pending.eth_proceeds, operational_cost=rewards.operational_cost,
        community_fund=rewards.community_fund, ppf=rewards.ppf, total_withdrawals=total_withdrawals,
        matched_rewards=matched, used_matched_rewards=result.used_matched_rewards, rules=rules)
    checks.append(_amount("leftover (staking proceeds - distributed)", leftover, finalized.leftover))

    # The merkle tree: its root from the stored leaves and from the recomputed ones, each served proof, the Vault.
    root = finalized.withdrawals_merkle_root
    tree = withdrawals_engine.merkle_tree(sorted((a, amount) for a, amount, _ in rows))
    checks.append(_same("merkle root of the stored leaves", tree.root, root))
    recomputed = [*claimed.items(), *((a, amount) for a, (amount, _) in project_leaves.items())]
    checks.append(_same("merkle root of the recomputed leaves", withdrawals_engine.merkle_tree(recomputed).root, root))
    checks.append(_proofs(tree, root))
    checks.append(vault_root_check(epoch=epoch, root=root))
    return checks, exact


def _proofs(tree: withdrawals_engine.MerkleTree, root: str | None) -> Check:
    """Each proof of a stored leaf, as `/withdrawals/{address}` serves it (the tree over the epoch's stored
    leaves), verifies under the root on record."""
    bad = withdrawals_engine.unproven_leaves(tree, root)
    return _amount("proofs verifying under the root on record", len(tree.leaves), len(tree.leaves) - len(bad),
                   detail="; ".join(tree.leaves[position][0] for position in bad[:SHOWN]))


def vault_root_check(*, epoch: int, root: str | None) -> Check:
    """The root the Vault holds for the epoch (through the chain backend) is ours; passes while it has none."""
    try:
        vault = get_chain().vault_merkle_root(epoch)
    except ChainUnavailable as exc:
        return Check("the Vault's root", str(root), "unknown", "0", True, f"not compared: {exc}")
    if vault is None:
        return Check("the Vault's root", str(root), "not set yet", "0", True, "compared once the Vault has one")
    return _same("the Vault's root", root, vault.lower())


# --- the report ----------------------------------------------------------------------------------------

def epoch_verify(*, epoch: int, replace: bool = True) -> EpochVerification | None:
    """Verify the finalized `epoch` and store its report (replacing an earlier one, whose acknowledgement
    goes with it; without `replace`, nothing is done when a report exists: None). InvalidEpoch if the epoch
    is not finalized. Logged, and counted in the metrics."""
    if not replace and EpochVerification.objects.filter(epoch=epoch).exists():
        return None
    checks, exact = epoch_checks(epoch=epoch)
    passed = all(check.passed for check in checks)
    fields = {"passed": passed, "exact": exact, "checks": [asdict(check) for check in checks],
              "verified_at": timezone.now(), "acknowledged_by": "", "acknowledged_at": None}
    try:
        with transaction.atomic():
            if replace:
                report, _ = EpochVerification.objects.update_or_create(epoch=epoch, defaults=fields)
            else:
                report = EpochVerification.objects.create(epoch=epoch, **fields)
    except IntegrityError:  # a concurrent run stored it first
        return None
    failed = [check.name for check in checks if not check.passed]
    if passed:
        logger.info("verification of epoch %s: passed, %s checks", epoch, len(checks))
    else:
        logger.error("verification of epoch %s: FAILED %s of %s checks: %s; the Vault waits for staff to "
                     "acknowledge it", epoch, len(failed), len(checks), "; ".join(failed))
    metrics.record_verification(epoch=report.epoch, passed=report.passed)
    return report


@coalesced_task(name="lifecycle.verification.epoch_verify")
def epoch_verify_task(epoch: int) -> None:
    """Verify a finalized epoch that has no report yet (a run queued twice verifies once)."""
    epoch_verify(epoch=epoch, replace=False)


def epoch_verify_queue(*, epoch: int) -> None:
    """Queue the verification of `epoch` (on commit of its finalized snapshot): a broker down is logged, never
    raised, and the beat tick queues it again (`verifications_catch_up`)."""
    try:
        enqueue_once(epoch_verify_task, epoch)
    except Exception:
        logger.exception("queueing the verification of epoch %s failed; the next tick retries", epoch)


def verifications_catch_up() -> list[int]:
    """Queue the verification of every finalized epoch that the Vault still waits for and has no report; the
    epochs queued."""
    epochs = list(FinalizedEpochSnapshot.objects.filter(vault_confirmed_at__isnull=True).exclude(
        epoch__in=EpochVerification.objects.values("epoch")).order_by("epoch").values_list("epoch", flat=True))
    for epoch in epochs:
        epoch_verify_queue(epoch=epoch)
    return epochs
