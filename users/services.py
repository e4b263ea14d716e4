"""Writes about users: Terms of Service consent, and the signature check shared by signed user actions.
(Switching patron mode also withdraws allocations, so it is `allocations.services.patron_mode_toggle`.)"""
from django.db import transaction

from octant.chain.backends import get_chain
from octant.core import signatures
from octant.core.exceptions import DuplicateConsent, InvalidSignature

from .models import User, UserConsent


def verify_signed(address: str, digest_or_message: bytes | str, signature: str) -> None:
    """A signed action of `address`: its signature of a 32-byte digest (EIP-712) or of a text (EIP-191), an
    EOA's or one its contract wallet accepts (EIP-1271, through the chain backend). InvalidSignature if not."""
    if not get_chain().verify_signature(address, digest_or_message, signature):
        raise InvalidSignature(signature, address)


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
