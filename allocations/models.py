from django.db import models

from octant.core.fields import WeiField


class AllocationRequest(models.Model):
    """One signed allocation request (audit record). (user, nonce) is unique: the replay guard."""

    user = models.ForeignKey("users.User", on_delete=models.PROTECT, related_name="allocation_requests")
    epoch = models.PositiveIntegerField()
    nonce = models.PositiveIntegerField()
    signature = models.TextField()
    is_manually_edited = models.BooleanField(null=True)
    leverage = models.FloatField(null=True)
    timestamp = models.BigIntegerField(null=True, help_text="chain time of the request, Unix seconds")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["user", "nonce"], name="user_nonce_unique_constraint")]


class Allocation(models.Model):
    """One project's share of a request. A new request soft-deletes the user's earlier rows of the epoch."""

    user = models.ForeignKey("users.User", on_delete=models.PROTECT, related_name="allocations")
    epoch = models.PositiveIntegerField()
    nonce = models.PositiveIntegerField()
    project_address = models.CharField(max_length=42)
    amount = WeiField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["epoch", "project_address"], condition=models.Q(deleted_at__isnull=True),
                         name="allocation_live_by_project"),
            models.Index(fields=["user", "epoch"], name="allocation_by_user_epoch"),
        ]


class UniquenessQuotient(models.Model):
    """A user's UQ score for an epoch, frozen at the first allocation ("1.0", "0.01", "0.0")."""

    user = models.ForeignKey("users.User", on_delete=models.PROTECT, related_name="uniqueness_quotients")
    epoch = models.PositiveIntegerField()
    score = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "epoch"], name="uq_unique_per_user_epoch")]


class ProjectFunding(models.Model):
    """Running quadratic-funding aggregates of one project in one epoch, kept up to date in the same
    transaction as every allocation, so a live estimate costs O(projects) (allocations.engine.ProjectAggregate).

    `sqrt_sum` accumulates in allocation order, as the full computation does; when a user's earlier
    allocations are withdrawn it is corrected by subtraction and marked inexact until a rebuild recomputes
    it from the live allocations (allocations.tasks.project_funding_rebuild_task). The rebuild reads without
    holding the row lock and writes only if `version` has not moved meanwhile, so it never makes an
    allocation wait for its read."""

    epoch = models.PositiveIntegerField()
    project_address = models.CharField(max_length=42)
    allocated = WeiField(default=0)
    sqrt_sum = models.CharField(max_length=80, default="0")
    first_allocation_id = models.BigIntegerField(null=True, help_text="orders projects by first appearance")
    exact = models.BooleanField(default=True)
    version = models.PositiveBigIntegerField(default=0, help_text="bumped by every change of the project's allocations")
    broadcast_version = models.PositiveBigIntegerField(default=0, help_text="the version websocket clients last got")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["epoch", "project_address"], name="funding_unique_per_project")]


class DonorFunding(models.Model):
    """One donor's live allocations of one epoch, summed, kept in the allocation's transaction: what the
    user can still claim (budget - Σ allocations when positive, docs/rewards.md §3.9) without reading allocations.
    A donor without live allocations has no row. `first_allocation_id` orders donors as the full
    computation lists them."""

    epoch = models.PositiveIntegerField()
    address = models.CharField(max_length=42)
    allocated = WeiField(default=0)
    claimed = WeiField(default=0)
    first_allocation_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["epoch", "address"], name="donor_funding_unique")]
        indexes = [models.Index(fields=["epoch", "first_allocation_id"], name="donor_funding_order")]


class EpochFunding(models.Model):
    """Totals of an epoch's live allocations, kept in the allocation's transaction: Σ claimed over donors
    (so the live total withdrawals cost O(projects)) and a version bumped by every change, the key of
    what is cached per epoch state (merkle tree, list bodies). Its row is the lock that serialises the
    window's last changes with the finalized snapshot, which sets `finalized`."""

    epoch = models.PositiveIntegerField(unique=True)
    claimed = WeiField(default=0)
    version = models.PositiveBigIntegerField(default=0)
    finalized = models.BooleanField(default=False, help_text="the finalized snapshot is stored: the window's "
                                    "allocations are closed (allocations.funding.lock_open_window)")
