"""Writes about users: Terms of Service consent, and the signature check shared by signed user actions.
(Switching patron mode also withdraws allocations, so it is `allocations.services.patron_mode_toggle`.)"""
from django.db import transaction

from octant.chain.backends import get_chain
from octant.core import signatures
from octant.core.exceptions import DuplicateConsent, InvalidSignature, PatronSignatureReused

from .models import UsedPatronMessage, User, UserConsent


def verify_signed(address: str, digest_or_message: bytes | str, signature: str) -> None:
    """A signed action of `address`: its signature of a 32-byte digest (EIP-712) or of a text (EIP-191), an
    EOA's or one its contract wallet accepts (EIP-1271, through the chain backend). InvalidSignature if not."""
    if not get_chain().verify_signature(address, digest_or_message, signature):
        raise InvalidSignature(signature, address)


def verify_patron_toggle(address: str, *, enable: bool, nonce: int, signature: str) -> None:
    """A patron-mode toggle's signature: of the text with the user's `nonce` (docs/signing.md), or of the
    legacy text without one (Octant's web client), accepted once per address and action: that text is the
    same bytes every time, so its signature would toggle again whenever it is sent. A legacy text used before
    is refused (PatronSignatureReused) with the text to sign instead. The caller holds the user's row, and
    the digest is unique besides. InvalidSignature if neither text is signed."""
    chain = get_chain()
    fresh = signatures.patron_mode_message(address, enable=enable, nonce=nonce)
    if chain.verify_signature(address, fresh, signature):
        return
    legacy = signatures.patron_mode_message(address, enable=enable)
    if not chain.verify_signature(address, legacy, signature):
        raise InvalidSignature(signature, address)
    _, created = UsedPatronMessage.objects.get_or_create(digest=signatures.eip191_digest(legacy).hex())
    if not created:
        raise PatronSignatureReused(fresh)


def locked_user(address: str, *, create: bool = True) -> User | None:
    """The user row, created if new (else None without `create`), locked for the rest of the transaction.
    The first lock of every writer that locks a user (allocations.services lists the order)."""
    if create:
        user, _ = User.objects.get_or_create(address=address)
        return User.objects.select_for_update().get(pk=user.pk)
    return User.objects.select_for_update().filter(address=address).first()


@transaction.atomic
def tos_accept(*, address: str, signature: str, ip: str) -> None:
    """Record the user's consent to the Terms of Service, signed with EIP-191 (once per user)."""
    user = locked_user(address)
    if UserConsent.objects.filter(user=user).exists():
        raise DuplicateConsent(address)
    verify_signed(address, signatures.tos_message(address), signature)
    UserConsent.objects.create(user=user, ip=ip)
