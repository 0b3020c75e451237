"""Whose licences a user may see: their own (by 身份证号) or their enterprises' (by credit code).

A licence that is not the user's is answered "not found", the same as a
number that does not exist. Anyone may still verify any licence publicly,
with personal data masked.
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhengtong.core.errors import NotAuthenticated, NotFound, PermissionDenied
from zhengtong.core.validators import normalise
from zhengtong.identity.models import Audience, User
from zhengtong.identity.permissions import departments_in_scope, has_permission
from zhengtong.identity.selectors import memberships_of
from zhengtong.licences.models import HolderKind, Licence, LicenceShare
from zhengtong.licences.permissions import REVOKE_LICENCES
from zhengtong.licences.selectors import licences_issued_by, licences_of_holders

Principal = AbstractBaseUser | AnonymousUser | None


@dataclass(frozen=True, slots=True)
class HeldBy:
    """One holder a user acts for: themself or one of their enterprises."""

    kind: str
    holder_id: str
    name: str


def holders_of(user: Principal) -> list[HeldBy]:
    """Return the holders whose licences the user may see; refuse staff and anonymous users."""
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    if user.audience == Audience.CITIZEN:
        if user.person is None:
            return []
        return [HeldBy(HolderKind.PERSON, user.person.id_number, str(_("本人")))]
    if user.audience == Audience.ENTERPRISE:
        return [
            HeldBy(HolderKind.ENTERPRISE, m.enterprise.credit_code, m.enterprise.name)
            for m in memberships_of(user)
        ]
    raise PermissionDenied(_("“我的证照”供个人和企业用户使用。"), code="not_a_licence_holder")


def my_licences(user: Principal) -> QuerySet[Licence]:
    """Return the licences of every holder the user acts for, newest first."""
    holders = holders_of(user)
    return licences_of_holders([h.holder_id for h in holders]).filter(
        holder_kind__in={h.kind for h in holders}
    )


def access_licence_by_number(user: Principal, number: str) -> Licence:
    """Return one of the user's own licences; anything else is "not found"."""
    holders = holders_of(user)
    ids = {(h.kind, h.holder_id) for h in holders}
    licence = my_licences(user).filter(number=normalise(number)).first()
    if licence is None or (licence.holder_kind, licence.holder_id) not in ids:
        raise NotFound()
    return licence


def access_licence_share(user: Principal, number: str, share_id: int) -> LicenceShare:
    """Return a share link of one of the user's own licences; anything else is "not found".

    Whoever may see and share the licence now (its holder, or anyone acting
    for the holding enterprise) may withdraw any of its links, whoever made it:
    a colleague who has left must not leave a link nobody can withdraw.
    """
    licence = access_licence_by_number(user, number)
    share = LicenceShare.objects.filter(licence=licence, pk=share_id).first()
    if share is None:
        raise NotFound(detail={"share": share_id})
    # The licence as the user may see it, loaded with its type and issuer.
    share.licence = licence
    return share


def issued_licences(user: Principal, query: str = "") -> QuerySet[Licence]:
    """Return the licences issued by the departments where the user may revoke them."""
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    if not has_permission(user, REVOKE_LICENCES):
        raise PermissionDenied(
            _("只有发证部门具有证照管理权限的工作人员可以查询和注销证照。"),
            code="permission_denied",
            detail={"permission": REVOKE_LICENCES},
        )
    return licences_issued_by(departments_in_scope(user, REVOKE_LICENCES), query)


def access_issued_licence(user: Principal, number: str) -> Licence:
    """Return a licence the user's departments issued; another's is "not found"."""
    licence = issued_licences(user).filter(number=normalise(number)).first()
    if licence is None:
        raise NotFound(code="licence_not_found", detail={"number": number})
    return licence
