"""The one domain exception hierarchy. Each error carries the reference's HTTP status and message text;
`octant.core.api.exception_handler` turns it into `{"message": ...}`."""


class OctantError(Exception):
    status_code = 400
    message = "Bad request"
    with_detail = False  # also send the text as `detail`, where the reference raises a FastAPI HTTPException

    def __init__(self, *args, **fields):
        self.fields = fields
        super().__init__(self.message.format(*args, **fields) if (args or fields) else self.message)

    @property
    def text(self) -> str:
        return str(self)


class AllocationWindowClosed(OctantError):
    status_code = 403
    message = "This action is available only during the allocation window."


class EpochsNotFound(OctantError):
    status_code = 404
    message = "Epochs not found in Subgraph"


class InvalidEpoch(OctantError):
    message = "Given epoch is not valid."


class NotImplementedForGivenEpochState(OctantError):
    message = "Functionality is not implemented for given epoch state"


class EpochNotStartedYet(OctantError):
    message = "Given epoch has not yet started."


class EpochNotIndexed(OctantError):
    message = "Epoch {} has not yet been indexed in the Graph."


class NotInDecisionWindow(OctantError):
    message = "The decision window is not opened."


class InvalidProjects(OctantError):
    message = "The following projects are not valid: {}"


class ProjectAllocationToSelf(OctantError):
    message = "You cannot allocate funds to your own project."


class RewardsBudgetExceeded(OctantError):
    message = "You cannot allocate more funds than your rewards budget."


class BudgetNotFound(OctantError):
    status_code = 404
    message = "User {} does not have a budget for epoch {}"


class DuplicatedProjects(OctantError):
    message = "The following projects are duplicated in the payload: {}"


class MissingSnapshot(OctantError):
    # The reference answers 500 here; a missing snapshot is a state the client can wait out, so we say 409.
    status_code = 409
    message = "No snapshot has been taken. Try calling /snapshot/pending or /snapshot/finalized endpoint"


class MissingAddress(OctantError):
    message = "The following address: {} was not found in merkle tree from given epoch"


class InvalidSignature(OctantError):
    message = "Given signature {} is invalid or does not belong to {}"


class UserNotFound(OctantError):
    status_code = 404
    message = "User with address {} not found"


class WrongAllocationsNonce(OctantError):
    message = "Attempt to use wrong value of nonce ({} instead of {}) when signing allocations"


class NotAllowedInPatronMode(OctantError):
    status_code = 403
    message = "This action is not allowed in patron mode; user address: {}"


class EffectiveDepositNotFound(OctantError):
    message = "The effective deposit for a user {} in the epoch {} is not found"


class EmptyAllocations(OctantError):
    message = "Passed empty or zeroed allocations"


class SnapshotOutOfOrder(OctantError):
    status_code = 409
    message = "Epoch {} cannot be snapshotted before epoch {}"


class ChainError(OctantError):
    """Bad input to, or a refusal by, the chain backend (local chain commands, contract reads)."""

    message = "{}"


class ChainUnavailable(OctantError):
    status_code = 503
    message = "The chain backend is unavailable: {}"


class NotInAllocationWindow(OctantError):
    message = "Possible only in open allocation window"
    with_detail = True


class PendingSnapshotMissing(OctantError):
    message = "Pending snapshot is missing! We need it here"
    with_detail = True


class DuplicateConsent(OctantError):
    message = "Given user {} has already accepted the Terms of Service"


class XRealIpHeaderMissing(OctantError):
    message = "X-Real-IP header is missing"
