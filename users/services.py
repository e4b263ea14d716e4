"""Writes about users: Terms of Service consent and patron mode."""
from django.db import transaction

from octant.chain.backends import get_chain
from octant.core import signatures
from octant.core.exceptions import DuplicateConsent, InvalidSignature

from . import selectors
from .models import PatronEvent, User, UserConsent


def _verify(address: str, message: str, signature: str) -> None:
    chain = get_chain()

    def eip1271(addr, digest, sig):
        ok = chain.is_valid_eip1271_signature(addr, digest, "0x" + sig.hex())
        return signatures.EIP1271_MAGIC_VALUE if ok else b"\x00" * 4

    if not signatures.verify_signature(address, message, signature, is_contract=chain.is_contract(address),
                                       eip1271_call=eip1271):
        raise InvalidSignature(signature, address)


def _locked_user(address: str) -> User:
    user, _ = User.objects.get_or_create(address=address)
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def tos_accept(*, address: str, signature: str, ip: str) -> None:
    """Record the user's consent to the Terms of Service, signed with EIP-191 (once per user)."""
    user = _locked_user(address)
    if UserConsent.objects.filter(user=user).exists():
        raise DuplicateConsent(address)
    _verify(address, signatures.tos_message(address), signature)
    UserConsent.objects.create(user=user, ip=ip)


def patron_mode_toggle(*, address: str, signature: str) -> bool:
    """Switch patron mode (EIP-191 signed). While an allocation window is open, the user's allocations of
    that epoch are withdrawn: a patron's budget goes to the matching pool. Returns the new status."""
    from allocations.services import allocations_revoke
    from epochs.selectors import chain_view

    view = chain_view()
    with transaction.atomic():
        _locked_user(address)
        enable = not selectors.is_patron(address=address)
        _verify(address, signatures.patron_mode_message(address, enable=enable), signature)
        PatronEvent.objects.create(address=address, enabled=enable, timestamp=view.now)
        if view.pending is not None:
            allocations_revoke(address=address, epoch=view.pending)
    return enable

