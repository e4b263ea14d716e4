"""The one domain exception hierarchy. Each error carries the reference's message text; its HTTP status is
given in one place, `octant.web.errors`, whose exception handler answers `{"message": ...}`."""


class OctantError(Exception):
    message = "Bad request"

    def __init__(self, *args, **fields):
        self.fields = fields
        super().__init__(self.message.format(*args, **fields) if (args or fields) else self.message)

    @property
    def text(self) -> str:
        return str(self)


class InvalidInput(OctantError):
    """Input that fails validation in a service or selector (a bad cursor, a bad signature encoding): the
    same 400 body as a serializer's validation errors, `{"message", "errors": {field: [problems]}}`."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__()


class AllocationWindowClosed(OctantError):
    message = "This action is available only during the allocation window."


class EpochsNotFound(OctantError):
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
    message = "User {} does not have a budget for epoch {}"


class DuplicatedProjects(OctantError):
    message = "The following projects are duplicated in the payload: {}"


class MissingSnapshot(OctantError):
    message = "No snapshot has been taken. Try calling /snapshot/pending or /snapshot/finalized endpoint"


class MissingAddress(OctantError):
    message = "The following address: {} was not found in merkle tree from given epoch"


class InvalidSignature(OctantError):
    message = "Given signature {} is invalid or does not belong to {}"


class PatronSignatureReused(OctantError):
    message = ("This patron-mode signature was used already and cannot be used again; sign this message "
               "instead: {}")


class UserNotFound(OctantError):
    message = "User with address {} not found"


class WrongAllocationsNonce(OctantError):
    message = "Attempt to use wrong value of nonce ({} instead of {}) when signing allocations"


class NotAllowedInPatronMode(OctantError):
    message = "This action is not allowed in patron mode; user address: {}"


class EffectiveDepositNotFound(OctantError):
    message = "The effective deposit for a user {} in the epoch {} is not found"


class EmptyAllocations(OctantError):
    message = "Passed empty or zeroed allocations"


class SnapshotOutOfOrder(OctantError):
    message = "Epoch {} cannot be snapshotted before epoch {}"


class ChainError(OctantError):
    """Bad input to, or a refusal by, the chain backend (local chain commands, contract reads)."""

    message = "{}"


class EpochFrozen(ChainError):
    """An epoch's projects and staking proceeds are fixed once its pending snapshot exists: the snapshot,
    the allocations and the finalized rewards all rest on them."""

    message = ("Epoch {} already has its pending snapshot: its projects and staking proceeds can no longer "
               "change")


class ChainUnavailable(OctantError):
    message = "The chain backend is unavailable: {}"


class NotInAllocationWindow(OctantError):
    message = "Possible only in open allocation window"


class PendingSnapshotMissing(OctantError):
    message = "Pending snapshot is missing! We need it here"


class DuplicateConsent(OctantError):
    message = "Given user {} has already accepted the Terms of Service"


class XRealIpHeaderMissing(OctantError):
    message = "X-Real-IP header is missing"


# --- users beyond plain wallets: Gitcoin Passport, delegation, Safe multisig, GLM claim (issue 15)


class ExternalApiException(OctantError):
    """An external service (Gitcoin Passport Scorer, Safe Transaction Service) failed or timed out."""

    message = "Request to an external service failed."


class GPStampsNotFound(OctantError):
    message = "GP Stamps not found for user or the user does not exist, try fetching them first"


class AddressAlreadyDelegated(OctantError):
    message = "Address is already used for delegation"


class DelegationAlreadyExists(OctantError):
    message = "Delegation already exists"


class DelegationDoesNotExist(OctantError):
    message = "Delegation does not exists"


class DelegationCheckWrongParams(OctantError):
    message = "Please specify at least 2 and not more than 10 addresses"


class AntisybilScoreTooLow(OctantError):
    message = "Antisybil score {} is lower then {}"


class InvalidRecalculationRequest(OctantError):
    message = "Invalid recalculation request"


class InvalidDelegationForLockingAddress(OctantError):
    message = "Secondary address cannot lock any GLMs"


class InvalidDelegationRequest(OctantError):
    message = "Invalid delegation request"


class InvalidMultisigSignatureRequest(OctantError):
    message = "Given multisig signature request failed validation"


class InvalidMultisigAddress(OctantError):
    message = "Given multisig address is invalid"


class IpfsPathNotFound(OctantError):
    message = "No such path under /ipfs/: {}"


class SafeNotFound(OctantError):
    message = "No Safe at {}"


class SafeMessageNotFound(OctantError):
    message = "No Safe message with hash {}"


class NotEligibleToClaimGLM(OctantError):
    message = "User with address: {} is not eligible to claim GLMs."


class GlmClaimed(OctantError):
    message = "User with address: {} has already claimed GLMs."


class GlmClaimDisabled(OctantError):
    message = "GLM claiming is disabled"


class DelegationNotConfigured(OctantError):
    message = "UQ delegation is not configured on this server (DELEGATION_SALT, DELEGATION_SALT_PRIMARY)"


class VaultRootAlreadySet(ChainError):
    message = "The vault merkle root of epoch {} is already set"
