"""State of the embedded `local` chain: its clock, epoch schedule, staking proceeds, vault roots, passport
scores, and its ledger of deposit events, projects and Sablier streams (what its contracts would hold); and
the ethereum backend's own state. The apps' tables (deposit events, projects, streams) are written by the
apps' services from what either backend returns (`ChainBackend.deposit_event_batches` and friends)."""
from django.db import models
from django.utils import timezone

from octant.core.fields import AddressField, WeiField


class ChainClock(models.Model):
    """Singleton (pk=1). Chain time = `base`, plus the wall-clock seconds since `anchor` while running.
    `genesis` is the chain time of block 0 (octant/chain/blocks.py)."""

    base = models.BigIntegerField()
    anchor = models.FloatField()
    genesis = models.BigIntegerField(help_text="chain time of block 0")

    class Meta:
        verbose_name = "chain clock"


class LocalEpochProps(models.Model):
    """One entry of the Epochs contract's props list (docs/lifecycle.md §1.1), in `index` order."""

    index = models.PositiveIntegerField(unique=True)
    from_epoch = models.PositiveIntegerField()
    to_epoch = models.PositiveIntegerField(default=0)
    from_ts = models.BigIntegerField()
    duration = models.PositiveBigIntegerField()
    decision_window = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["index"]
        verbose_name = "epoch props"
        verbose_name_plural = "epoch props"


class LocalStakingProceeds(models.Model):
    epoch = models.PositiveIntegerField(unique=True)
    amount = WeiField()

    class Meta:
        ordering = ["epoch"]
        verbose_name_plural = "staking proceeds"


class LocalVaultRoot(models.Model):
    epoch = models.PositiveIntegerField(unique=True)
    root = models.CharField(max_length=66)
    set_at = models.BigIntegerField(help_text="chain time")
    transaction = models.ForeignKey("LocalTransaction", null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        ordering = ["epoch"]


class LocalPassportScore(models.Model):
    address = AddressField(unique=True)
    score = models.CharField(max_length=40, help_text="decimal score")
    updated_at = models.DateTimeField(auto_now=True)


class LocalSafe(models.Model):
    """A Gnosis Safe contract wallet on the local chain: its owners (EIP-55) and signature threshold."""

    address = AddressField(unique=True)
    owners = models.JSONField(default=list)
    threshold = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Safe {self.address} ({self.threshold} of {len(self.owners)})"


class LocalSafeMessage(models.Model):
    """An off-chain message of a local Safe, as the Safe Transaction Service keeps it (docs/lifecycle.md §5.4):
    the text or EIP-712 object the owners sign, under the Safe's `getMessageHash` of its hash."""

    safe = models.ForeignKey(LocalSafe, on_delete=models.CASCADE, related_name="messages")
    message_hash = models.CharField(max_length=66, unique=True)
    message = models.JSONField(help_text="a text (EIP-191) or an EIP-712 typed data object")
    proposed_by = AddressField()
    safe_app_id = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"message {self.message_hash} of {self.safe.address}"


class LocalSafeMessageConfirmation(models.Model):
    """One owner's signature of a `LocalSafeMessage` (65 bytes, hex)."""

    message = models.ForeignKey(LocalSafeMessage, on_delete=models.CASCADE, related_name="confirmations")
    owner = AddressField()
    signature = models.CharField(max_length=132)
    signature_type = models.CharField(max_length=8, help_text="EOA or ETH_SIGN")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["message", "owner"], name="local_safe_one_signature_per_owner")]


class LocalSablierStream(models.Model):
    """A Sablier lockup stream of GLM on the local chain (`chain stream create`); its actions are
    `LocalDepositEvent`s with a `stream`. `intact_amount` is what it still holds (deposit - withdrawn -
    refunded)."""

    stream_id = models.CharField(max_length=100, unique=True)
    recipient = models.CharField(max_length=42, db_index=True)
    deposit_amount = WeiField()
    withdrawn_amount = WeiField(default=0)
    intact_amount = WeiField()
    start_time = models.BigIntegerField(help_text="chain time")
    end_time = models.BigIntegerField(help_text="chain time")
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"stream {self.stream_id} to {self.recipient}"


class LocalDepositEvent(models.Model):
    """The local chain's ledger of GLM locks and unlocks, in chain order (the id): Octant's (`chain lock`,
    `chain unlock`) and the Sablier stream actions (`stream`, `action` set). `before`/`after` are the
    address's balance on the local chain, Octant plus Sablier, as the deposit index keeps it."""

    class Action(models.TextChoices):
        NONE = "", "Octant"
        CREATE = "Create"
        WITHDRAW = "Withdraw"
        CANCEL = "Cancel"

    address = models.CharField(max_length=42)
    type = models.CharField(max_length=6, choices=[("lock", "lock"), ("unlock", "unlock")])
    amount = WeiField()
    before = WeiField()
    after = WeiField()
    timestamp = models.BigIntegerField(help_text="chain time")
    stream = models.ForeignKey(LocalSablierStream, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="actions")
    action = models.CharField(max_length=8, choices=Action.choices, blank=True, default="")
    transaction = models.ForeignKey("LocalTransaction", null=True, blank=True, on_delete=models.CASCADE,
                                    help_text="the Deposits transaction (none for a stream's action)")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["address", "id"])]

    def __str__(self):
        return f"{self.type} {self.amount} by {self.address} at {self.timestamp}"


class LocalProject(models.Model):
    """A project registered on the local chain (`chain project add`). `revision` grows with every
    registration (the same call again included), `name_revision` with every one that gives a name, so a sync
    stores what was registered since its cursor, renaming only where a name was given since."""

    epoch = models.PositiveIntegerField()
    address = models.CharField(max_length=42)
    name = models.CharField(max_length=200, blank=True, default="")
    revision = models.PositiveBigIntegerField(db_index=True)
    name_revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["epoch", "id"]
        constraints = [models.UniqueConstraint(fields=["epoch", "address"], name="local_project_unique")]

    def __str__(self):
        return f"project {self.address} of epoch {self.epoch}"


class LocalGlmTransfer(models.Model):
    """A GLM transfer from the claim sender (GLM_SENDER_ADDRESS) on the local chain, by transaction nonce."""

    nonce = models.PositiveIntegerField(unique=True)
    to = models.CharField(max_length=42)
    amount = WeiField()
    transaction_hash = models.CharField(max_length=66, unique=True)
    timestamp = models.BigIntegerField(help_text="chain time")

    class Meta:
        ordering = ["nonce"]


class LocalTransaction(models.Model):
    """A transaction of the local chain, alone in its block (octant/chain/blocks.py): one a wallet signed and sent
    to `/rpc` (`nonce` and `raw` set), or one a `chain` command or the chain itself made (no nonce: it counts
    for no account's nonce). Its events are its `logs`."""

    block = models.BigIntegerField(unique=True)
    timestamp = models.BigIntegerField(help_text="chain time")
    hash = models.CharField(max_length=66, unique=True)
    sender = models.CharField(max_length=42)
    to = models.CharField(max_length=42, blank=True, default="")
    nonce = models.PositiveBigIntegerField(null=True, blank=True)
    value = WeiField(default=0)
    input = models.TextField(default="0x", help_text="calldata, hex")
    gas = models.PositiveBigIntegerField(default=0, help_text="gas limit")
    gas_used = models.PositiveBigIntegerField(default=0)
    gas_price = WeiField(default=0, help_text="effective gas price")
    raw = models.TextField(blank=True, default="", help_text="the signed transaction, hex")

    class Meta:
        ordering = ["block"]
        constraints = [models.UniqueConstraint(fields=["sender", "nonce"], name="local_tx_unique_nonce")]

    def __str__(self):
        return f"transaction {self.hash} in block {self.block}"


class LocalLog(models.Model):
    """An event a transaction of the local chain emitted, ABI-encoded as the contract emits it."""

    transaction = models.ForeignKey(LocalTransaction, on_delete=models.CASCADE, related_name="logs")
    index = models.PositiveIntegerField(help_text="log index in the block")
    address = models.CharField(max_length=42)
    topic0 = models.CharField(max_length=66, db_index=True)
    topics = models.JSONField(default=list, help_text="every topic, topic0 first, hex")
    data = models.TextField(default="0x")

    class Meta:
        ordering = ["transaction__block", "index"]
        constraints = [models.UniqueConstraint(fields=["transaction", "index"], name="local_log_unique_index")]


class LocalBalance(models.Model):
    """What an address holds on the local chain: ETH or GLM, in wei (the Deposits contract's GLM is the sum of
    its locks, never a row)."""

    asset = models.CharField(max_length=3, choices=[("ETH", "ETH"), ("GLM", "GLM")])
    address = models.CharField(max_length=42)
    amount = WeiField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset", "address"], name="local_balance_unique")]


class LocalAllowance(models.Model):
    """GLM `owner` lets `spender` move (ERC-20 approve)."""

    owner = models.CharField(max_length=42)
    spender = models.CharField(max_length=42)
    amount = WeiField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "spender"], name="local_allowance_unique")]


class LocalWithdrawal(models.Model):
    """A Vault `batchWithdraw` on the local chain: `amount` wei paid to `address`, its claims up to `epoch`."""

    address = models.CharField(max_length=42, db_index=True)
    amount = WeiField()
    epoch = models.PositiveIntegerField()
    transaction = models.OneToOneField(LocalTransaction, on_delete=models.CASCADE)

    class Meta:
        ordering = ["id"]


# --- the ethereum backend's own state


class IndexCursor(models.Model):
    """The last subgraph block fully indexed for one entity (`lockeds`, `unlockeds`, `withdrawals`, ...), or,
    on the local chain, the last ledger row (`local:deposits`, `local:sablier`) or project revision
    (`local:projects`) the apps have stored. Advanced in the transaction that stores the rows it covers."""

    entity = models.CharField(max_length=40, unique=True)
    block = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    @classmethod
    def block_of(cls, entity: str) -> int:
        return cls.objects.filter(entity=entity).values_list("block", flat=True).first() or 0

    @classmethod
    def advance(cls, entity: str, block: int) -> None:
        """Move the cursor forward to `block` (never back: a concurrent pass may have gone further)."""
        cursor, created = cls.objects.get_or_create(entity=entity, defaults={"block": block})
        if not created:
            cls.objects.filter(pk=cursor.pk, block__lt=block).update(block=block, updated_at=timezone.now())


class IndexedWithdrawal(models.Model):
    """A Vault `Withdrawn` event, indexed from the subgraph."""

    key = models.CharField(max_length=100, unique=True, help_text="the subgraph entity id")
    address = models.CharField(max_length=42, db_index=True)
    amount = WeiField()
    epoch = models.PositiveIntegerField()
    timestamp = models.BigIntegerField()
    block_number = models.BigIntegerField()
    transaction_hash = models.CharField(max_length=66)

    class Meta:
        ordering = ["timestamp", "id"]


class IndexedVaultRoot(models.Model):
    """A Vault `MerkleRootSet` event, indexed from the subgraph."""

    epoch = models.PositiveIntegerField(unique=True)
    root = models.CharField(max_length=66)
    timestamp = models.BigIntegerField()
    block_number = models.BigIntegerField()

    class Meta:
        ordering = ["epoch"]


class StoredProceeds(models.Model):
    """An ended epoch's staking proceeds as first read from the chain (and Etherscan/Bitquery on mainnet)."""

    epoch = models.PositiveIntegerField(unique=True)
    amount = WeiField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["epoch"]
        verbose_name_plural = "stored proceeds"


class ChainTransaction(models.Model):
    """A transaction the service sends (the vault job), signed and journalled before it is first sent, so a
    worker that dies after sending leaves the exact bytes for the next run to resend, never a second one."""

    class Status(models.TextChoices):
        SIGNED = "signed"
        MINED = "mined"
        FAILED = "failed"

    key = models.CharField(max_length=60, unique=True, help_text="what it does, e.g. vault-root:5")
    sender = models.CharField(max_length=42)
    nonce = models.PositiveBigIntegerField()
    tx_hash = models.CharField(max_length=66, unique=True)
    raw = models.TextField(help_text="the signed transaction, hex")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.SIGNED)
    block_number = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["nonce"]
        constraints = [models.UniqueConstraint(fields=["sender", "nonce"], name="chain_tx_unique_nonce")]
