"""Writes about users: Terms of Service consent, and the signature check shared by signed user actions.
(Switching patron mode also withdraws allocations, so it is `allocations.services.patron_mode_toggle`.)"""
from django.db import transaction

from octant.chain.backends import get_chain
from octant.core import signatures
from octant.core.exceptions import DuplicateConsent, InvalidSignature

from .models import User, UserConsent


def verify_signed_text(address: str, message: str, signature: str) -> None:
    """EIP-191 text signed by `address`: an EOA's signature, or one its contract accepts (EIP-1271)."""
    chain = get_chain()

    def eip1271(addr, digest, sig):
        ok = chain.is_valid_eip1271_signature(addr, digest, "0x" + sig.hex())
        return signatures.EIP1271_MAGIC_VALUE if ok else b"\x00" * 4

    if not signatures.verify_signature(address, message, signature, is_contract=chain.is_contract(address),
                                       eip1271_call=eip1271):
        raise InvalidSignature(signature, address)


def locked_user(address: str) -> User:
    """The user row, created if new, locked for the rest of the transaction."""
    user, _ = User.objects.get_or_create(address=address)
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def tos_accept(*, address: str, signature: str, ip: str) -> None:
    """Record the user's consent to the Terms of Service, signed with EIP-191 (once per user)."""
    user = locked_user(address)
    if UserConsent.objects.filter(user=user).exists():
        raise DuplicateConsent(address)
    verify_signed_text(address, signatures.tos_message(address), signature)
    UserConsent.objects.create(user=user, ip=ip)
