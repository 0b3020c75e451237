"""Every change to accounts, posts, roles and G2G clients, each with its ledger entry."""

import ipaddress
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput, NotAuthenticated, Throttled
from zhengtong.core.masking import mask_name
from zhengtong.core.models import Department, Enterprise, Person, Region
from zhengtong.core.punctuation import listed
from zhengtong.identity import credentials
from zhengtong.identity.actors import ANONYMOUS, actor_of
from zhengtong.identity.models import (
    Audience,
    EnterpriseMembership,
    EnterpriseRelation,
    LoginFailure,
    Role,
    ScopeLevel,
    StaffPost,
    SystemClient,
    User,
)
from zhengtong.identity.permissions import (
    MANAGE_USERS,
    SCOPES,
    USE_ADMIN_SITE,
    VERIFY_LEDGER,
    VIEW_ENTRIES,
    forget_grants,
    has_permission,
    path_within,
    unknown_codes,
)
from zhengtong.ledger.actions import record_entry

USER = "identity.User"
CLIENT = "identity.SystemClient"

# 三员分立: whoever manages accounts, posts and roles neither reads nor verifies the
# audit log, and an auditor manages no accounts, so nobody can both act and hide it.
ACCOUNT_DUTIES = frozenset({MANAGE_USERS})
AUDIT_DUTIES = frozenset({VIEW_ENTRIES, VERIFY_LEDGER})


def _check_duties_apart(codes: Iterable[str], *, field: str) -> None:
    held = set(codes)
    if held & ACCOUNT_DUTIES and held & AUDIT_DUTIES:
        raise InvalidInput(
            _("管理账号与审计日志的职责不能由同一角色或同一人兼任（三员分立）。"),
            code="duties_combined",
            detail={"field": field},
        )


def _held_codes(user: User, *, leaving_out: Role | None = None) -> set[str]:
    """The permission codes of the user's active posts' roles, but ``leaving_out``'s."""
    roles = Role.objects.filter(posts__user=user, posts__is_active=True).distinct()
    if leaving_out is not None:
        roles = roles.exclude(pk=leaving_out.pk)
    return {code for role in roles for code in role.permissions}


# --- accounts -------------------------------------------------------------------------------


def do_create_citizen(username: str, password: str, person: Person, *, actor: Actor) -> User:
    """Create a citizen's account tied to the person's real-name record."""
    with transaction.atomic(durable=True):
        user = _new_user(
            username,
            password,
            audience=Audience.CITIZEN,
            person=person,
            # The masked name, because actor labels are written into the
            # audit log in clear and the log must not hold personal data.
            display_name=mask_name(person.name),
        )
        record_entry(
            actor=actor,
            action="identity.create_citizen",
            subject_type=USER,
            subject_id=user.pk,
            data={"username": user.username, "audience": user.audience, "person": person.pk},
        )
    return user


def do_create_enterprise_user(
    username: str,
    password: str,
    person: Person,
    enterprise: Enterprise,
    relation: str,
    *,
    actor: Actor,
    valid_until: date | None = None,
) -> User:
    """Create an account that acts for an enterprise, as its legal representative or agent."""
    if relation not in EnterpriseRelation.values:
        raise InvalidInput(
            _("与企业的关系只能是法定代表人或授权经办人。"),
            code="invalid_relation",
            detail={"field": "relation", "allowed": list(EnterpriseRelation.values)},
        )
    if (
        relation == EnterpriseRelation.LEGAL_REPRESENTATIVE
        and person.pk != enterprise.legal_representative_id
    ):
        raise InvalidInput(
            _("该自然人不是该企业登记的法定代表人。"),
            code="not_legal_representative",
            detail={"field": "person"},
        )
    if relation == EnterpriseRelation.AGENT and valid_until is not None:
        _refuse_past_date(valid_until)
    with transaction.atomic(durable=True):
        user = _new_user(
            username,
            password,
            audience=Audience.ENTERPRISE,
            person=person,
            display_name=mask_name(person.name),
        )
        EnterpriseMembership.objects.create(
            user=user,
            enterprise=enterprise,
            relation=relation,
            valid_until=valid_until if relation == EnterpriseRelation.AGENT else None,
        )
        record_entry(
            actor=actor,
            action="identity.create_enterprise_user",
            subject_type=USER,
            subject_id=user.pk,
            data={
                "username": user.username,
                "audience": user.audience,
                "person": person.pk,
                "enterprise": enterprise.credit_code,
                "relation": relation,
                "valid_until": valid_until.isoformat() if valid_until else None,
            },
        )
    return user


def do_create_staff(
    username: str,
    password: str,
    display_name: str,
    department: Department,
    role_codes: Sequence[str],
    *,
    actor: Actor,
    scope: str = ScopeLevel.DEPARTMENT,
    scope_region: Region | None = None,
) -> User:
    """Create a staff account with one post per role in the department."""
    display_name = display_name.strip()
    if not display_name:
        raise InvalidInput(
            _("请填写工作人员的姓名。"),
            code="invalid_display_name",
            detail={"field": "display_name"},
        )
    if not role_codes:
        raise InvalidInput(
            _("请至少选择一个角色。"), code="no_roles", detail={"field": "role_codes"}
        )
    roles = _staff_roles(role_codes)
    _check_duties_apart((c for role in roles for c in role.permissions), field="role_codes")
    _check_department_is_active(department)
    scope_region = _checked_scope(department, scope, scope_region)
    with transaction.atomic(durable=True):
        user = _new_user(
            username, password, audience=Audience.STAFF, person=None, display_name=display_name
        )
        for role in roles:
            StaffPost.objects.create(
                user=user, department=department, role=role, scope=scope, scope_region=scope_region
            )
        _sync_admin_site_access(user)
        record_entry(
            actor=actor,
            action="identity.create_staff",
            subject_type=USER,
            subject_id=user.pk,
            data={
                "username": user.username,
                "audience": user.audience,
                "display_name": display_name,
                "department": department.code,
                "roles": [role.code for role in roles],
                "scope": scope,
                "scope_region": scope_region.code if scope_region else None,
            },
        )
    return user


def do_assign_post(
    user: User,
    department: Department,
    role_code: str,
    *,
    actor: Actor,
    scope: str = ScopeLevel.DEPARTMENT,
    scope_region: Region | None = None,
) -> StaffPost:
    """Give a staff member a role in a department (or reactivate that post with a new scope)."""
    role, scope_region = check_post(user, department, role_code, scope, scope_region)
    with transaction.atomic(durable=True):
        post, created = StaffPost.objects.select_for_update().get_or_create(
            user=user,
            department=department,
            role=role,
            defaults={"scope": scope, "scope_region": scope_region},
        )
        if not created:
            if post.is_active and post.scope == scope and post.scope_region == scope_region:
                raise Conflict(_("该工作人员已担任此岗位。"), code="post_exists")
            post.is_active, post.scope, post.scope_region = True, scope, scope_region
            post.save(update_fields=["is_active", "scope", "scope_region"])
        _sync_admin_site_access(user)
        record_entry(
            actor=actor,
            action="identity.assign_post",
            subject_type=USER,
            subject_id=user.pk,
            data={
                "post": post.pk,
                "department": department.code,
                "role": role.code,
                "scope": scope,
                "scope_region": scope_region.code if scope_region else None,
            },
        )
    return post


def check_post(
    user: User,
    department: Department,
    role_code: str,
    scope: str,
    scope_region: Region | None,
) -> tuple[Role, Region | None]:
    """Check a post before it is assigned; return its role and the region it will cover.

    Forms call this to show the refusal next to the fields; ``do_assign_post``
    calls it again, so that nothing depends on a form having done so.
    """
    if user.audience != Audience.STAFF:
        raise InvalidInput(
            _("只有工作人员可以担任岗位。"), code="not_staff", detail={"field": "user"}
        )
    (role,) = _staff_roles([role_code])
    _check_duties_apart({*role.permissions, *_held_codes(user)}, field="role")
    _check_department_is_active(department)
    return role, _checked_scope(department, scope, scope_region)


def _lock_post(post: StaffPost) -> StaffPost:
    return StaffPost.objects.select_for_update().get(pk=post.pk)


def do_end_post(post: StaffPost, *, actor: Actor) -> StaffPost:
    """End a staff member's post; the row stays as a record that it existed."""
    with transaction.atomic(durable=True):
        # Decided on the locked row, not on the caller's copy: of two officers
        # ending the post at once, the second then sees it ended and records nothing.
        if not _lock_post(post).is_active:
            raise Conflict(_("该岗位已经结束。"), code="post_ended")
        post.is_active = False
        post.save(update_fields=["is_active"])
        _sync_admin_site_access(post.user)
        record_entry(
            actor=actor,
            action="identity.end_post",
            subject_type=USER,
            subject_id=post.user_id,
            data={"post": post.pk, "department": post.department.code, "role": post.role.code},
        )
    return post


def check_role_permissions(role: Role, codes: Sequence[str]) -> None:
    """Check a role's new permission codes before they are set.

    The admin form calls this to show the refusal on the field;
    ``do_set_role_permissions`` calls it again.
    """
    unknown = unknown_codes(codes)
    if unknown:
        raise InvalidInput(
            _("存在未定义的权限：%(codes)s。") % {"codes": listed(unknown)},
            code="unknown_permission",
            detail={"field": "permissions", "unknown": unknown},
        )
    _check_duties_apart(codes, field="permissions")
    for holder in User.objects.filter(posts__role=role, posts__is_active=True).distinct():
        # With their other posts, no holder may come to hold both duties either.
        _check_duties_apart({*codes, *_held_codes(holder, leaving_out=role)}, field="permissions")


def do_set_role_permissions(role: Role, codes: Sequence[str], *, actor: Actor) -> Role:
    """Replace the permission codes a role holds."""
    check_role_permissions(role, codes)
    new = sorted(set(codes))
    with transaction.atomic(durable=True):
        old = sorted(role.permissions)
        role.permissions = new
        role.save(update_fields=["permissions"])
        holders = User.objects.filter(posts__role=role, posts__is_active=True).distinct()
        for holder in holders:
            _sync_admin_site_access(holder)
        record_entry(
            actor=actor,
            action="identity.set_role_permissions",
            subject_type="identity.Role",
            subject_id=role.code,
            data={"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new))},
        )
    return role


def do_set_user_active(user: User, is_active: bool, *, actor: Actor) -> User:
    """Deactivate an account (it can no longer log in or act) or reactivate it."""
    if user.is_active == is_active:
        raise Conflict(
            _("该账户已经是启用状态。") if is_active else _("该账户已经是停用状态。"),
            code="already_active" if is_active else "already_inactive",
        )
    with transaction.atomic(durable=True):
        user.is_active = is_active
        user.save(update_fields=["is_active"])
        forget_grants(user)
        record_entry(
            actor=actor,
            action="identity.activate_user" if is_active else "identity.deactivate_user",
            subject_type=USER,
            subject_id=user.pk,
            data={"username": user.username},
        )
    return user


def do_change_password(user: User, password: str, *, actor: Actor) -> User:
    """Set a new password, checked by the configured password validators."""
    _validate_password(password, user)
    with transaction.atomic(durable=True):
        user.set_password(password)
        user.save(update_fields=["password"])
        # Only the fact is recorded: neither the password nor its hash.
        record_entry(
            actor=actor,
            action="identity.change_password",
            subject_type=USER,
            subject_id=user.pk,
            data={"username": user.username},
        )
    return user


def _new_user(
    username: str, password: str, *, audience: str, person: Person | None, display_name: str
) -> User:
    username = _typed_username(username)
    field = User._meta.get_field("username")
    try:
        field.run_validators(username)
        if not username:
            raise ValidationError(gettext("用户名不能为空。"))
    except ValidationError as exc:
        raise InvalidInput(
            " ".join(exc.messages), code="invalid_username", detail={"field": "username"}
        ) from exc
    # Names differing only in case would pass for one another in lists and
    # audit labels (ZhangSan beside zhangsan), so they count as taken too.
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(_("用户名已被使用。"), code="username_taken", detail={"field": "username"})
    if person is not None and User.objects.filter(person=person).exists():
        raise Conflict(
            _("该自然人已有账户，一人只能有一个实名账户。"),
            code="person_has_account",
            detail={"field": "person"},
        )
    user = User(username=username, audience=audience, person=person, display_name=display_name)
    _validate_password(password, user)
    user.set_password(password)
    user.save()
    return user


def _typed_username(username: str) -> str:
    # NFKC, as Django's own forms do: the full-width letters of a Chinese
    # input method (ｚｈａｎｇｓａｎ) become the ASCII ones they look like.
    return User.normalize_username(username).strip()


def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(
            " ".join(exc.messages),
            code="invalid_password",
            detail={"field": "password", "errors": list(exc.messages)},
        ) from exc


def _staff_roles(role_codes: Sequence[str]) -> list[Role]:
    wanted = list(dict.fromkeys(role_codes))
    roles = {role.code: role for role in Role.objects.filter(code__in=wanted)}
    missing = [code for code in wanted if code not in roles]
    if missing:
        raise InvalidInput(
            _("不存在的角色：%(codes)s。") % {"codes": listed(missing)},
            code="unknown_role",
            detail={"field": "role_codes", "unknown": missing},
        )
    not_staff = [code for code in wanted if roles[code].audience != Audience.STAFF]
    if not_staff:
        raise InvalidInput(
            _("这些角色不适用于工作人员：%(codes)s。") % {"codes": listed(not_staff)},
            code="role_not_for_staff",
            detail={"field": "role_codes", "roles": not_staff},
        )
    return [roles[code] for code in wanted]


def _check_department_is_active(department: Department) -> None:
    if not department.is_active:
        raise InvalidInput(
            _("该部门已停用。"), code="department_inactive", detail={"field": "department"}
        )


def _checked_scope(
    department: Department, scope: str, scope_region: Region | None
) -> Region | None:
    if scope not in ScopeLevel.values:
        raise InvalidInput(
            _("数据范围只能是本部门或本行政区域。"),
            code="invalid_scope",
            detail={"field": "scope", "allowed": list(ScopeLevel.values)},
        )
    if scope == ScopeLevel.DEPARTMENT:
        if scope_region is not None:
            raise InvalidInput(
                _("本部门范围的岗位不能指定行政区域。"),
                code="invalid_scope_region",
                detail={"field": "scope_region"},
            )
        return None
    region = scope_region or department.region
    # A post may not reach above the region of the department that holds it.
    if not path_within(region.path, department.region.path):
        raise InvalidInput(
            _("岗位的数据范围不能超出所在部门的行政区域。"),
            code="scope_outside_department",
            detail={"field": "scope_region"},
        )
    return region


def _sync_admin_site_access(user: User) -> None:
    """Keep Django's ``is_staff`` (may open the admin site) in step with the roles."""
    forget_grants(user)
    wanted = user.is_superuser or has_permission(user, USE_ADMIN_SITE)
    if user.is_staff != wanted:
        user.is_staff = wanted
        user.save(update_fields=["is_staff"])


def _refuse_past_date(valid_until: date) -> None:
    if valid_until < timezone.localdate():
        raise InvalidInput(
            _("授权有效期不能早于今天。"),
            code="invalid_valid_until",
            detail={"field": "valid_until"},
        )


# --- G2G clients ----------------------------------------------------------------------------


def do_issue_client(
    department: Department, name: str, scopes: Sequence[str], *, actor: Actor
) -> tuple[SystemClient, str]:
    """Register a department's system and return it with its secret, which is shown only now."""
    name = name.strip()
    if not name or len(name) > SystemClient._meta.get_field("name").max_length:  # type: ignore[operator]
        raise InvalidInput(
            _("请填写系统名称（不超过128个字）。"), code="invalid_name", detail={"field": "name"}
        )
    wanted = sorted(set(scopes))
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if unknown:
        raise InvalidInput(
            _("存在未定义的接口权限范围：%(scopes)s。") % {"scopes": listed(unknown)},
            code="unknown_scope",
            detail={"field": "scopes", "unknown": unknown},
        )
    _check_department_is_active(department)
    secret = credentials.new_secret()
    with transaction.atomic(durable=True):
        client = SystemClient.objects.create(
            department=department,
            name=name,
            key_id=credentials.new_key_id(),
            secret_hash=credentials.hash_secret(secret),
            scopes=wanted,
        )
        record_entry(
            actor=actor,
            action="identity.issue_client",
            subject_type=CLIENT,
            subject_id=client.key_id,
            data={
                "key_id": client.key_id,
                "name": client.name,
                "department": department.code,
                "scopes": wanted,
            },
        )
    return client, secret


def _seen_rotated_at(seen_rotation: str) -> datetime | None:
    if seen_rotation.strip() == "never":
        return None
    try:
        seen = datetime.fromisoformat(seen_rotation.strip())
    except ValueError:
        seen = None
    if seen is None or seen.tzinfo is None:
        raise InvalidInput(
            _("“上次轮换时间”应为带时区的 ISO 8601 时间或 never。"),
            code="invalid_seen_rotation",
            detail={"field": "seen_rotation"},
        )
    return _to_millisecond(seen)


def _to_millisecond(moment: datetime | None) -> datetime | None:
    # The API writes times to the millisecond; a time read from it must match.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000) if moment else None


def do_rotate_client_secret(
    client: SystemClient, *, actor: Actor, seen_rotation: str | None = None
) -> str:
    """Give the client a new secret; the old one stops working at once.

    ``seen_rotation`` is the ``rotated_at`` the caller saw (ISO 8601, or
    ``never`` for a secret never rotated): when someone
    rotated the secret since, this rotation is refused, so that of two
    rotations at once (two officers, or one button pressed twice) only one
    hands out a secret, the one that works.
    """
    secret = credentials.new_secret()
    with transaction.atomic(durable=True):
        current = SystemClient.objects.select_for_update().get(pk=client.pk)
        if current.revoked_at is not None:
            raise Conflict(_("该接入系统已被吊销。"), code="client_revoked")
        if seen_rotation is not None and _seen_rotated_at(seen_rotation) != _to_millisecond(
            current.rotated_at
        ):
            raise Conflict(
                _(
                    "该接入系统的凭证刚刚已被轮换，本次未轮换。请向轮换人索取新凭证，或刷新后再轮换。"
                ),
                code="rotated_meanwhile",
                detail={
                    "field": "seen_rotation",
                    "rotated_at": current.rotated_at.isoformat() if current.rotated_at else None,
                },
            )
        client.secret_hash = credentials.hash_secret(secret)
        client.rotated_at = timezone.now()
        client.save(update_fields=["secret_hash", "rotated_at"])
        record_entry(
            actor=actor,
            action="identity.rotate_client_secret",
            subject_type=CLIENT,
            subject_id=client.key_id,
            data={"key_id": client.key_id, "rotated_at": client.rotated_at.isoformat()},
        )
    return secret


def do_revoke_client(client: SystemClient, *, actor: Actor) -> SystemClient:
    """Revoke the client for good: its credential is refused from now on."""
    with transaction.atomic(durable=True):
        current = SystemClient.objects.select_for_update().get(pk=client.pk)
        if current.revoked_at is not None:
            raise Conflict(_("该接入系统已被吊销。"), code="client_revoked")
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        record_entry(
            actor=actor,
            action="identity.revoke_client",
            subject_type=CLIENT,
            subject_id=client.key_id,
            data={"key_id": client.key_id, "revoked_at": client.revoked_at.isoformat()},
        )
    return client


# --- logging in and out ---------------------------------------------------------------------


def do_log_in(request: HttpRequest, username: str, password: str) -> User:
    """Log a user in with username and password, refusing while throttled."""
    ip = client_ip(request)
    # Normalised as accounts are named, so that a name typed in full width
    # logs in and its failures count against the same account.
    username = _typed_username(username)[: User._meta.get_field("username").max_length]
    # Checked before the password, so that a throttled guesser learns nothing.
    _refuse_if_throttled(username, ip)
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):
        _count_failure(username, ip, actor=ANONYMOUS, action="identity.refuse_log_in")
        raise NotAuthenticated(_("用户名或密码不正确。"), code="bad_credentials")
    with transaction.atomic(durable=True):
        LoginFailure.objects.filter(username=username).delete()
        login(request, user)
        record_entry(
            actor=actor_of(user),
            action="identity.log_in",
            subject_type=USER,
            subject_id=user.pk,
            data={"username": user.username, "ip": ip},
        )
    return user


def do_change_own_password(request: HttpRequest, current: str, new: str) -> User:
    """The logged-in user replaces their password, proving they know the current one.

    A wrong current password counts as a failed log-in, so that a session
    left open cannot be used to guess it; other sessions of the account end
    (Django's session hash changes) and this one goes on.
    """
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    ip = client_ip(request)
    _refuse_if_throttled(user.username, ip)
    if not user.check_password(current):
        _count_failure(
            user.username, ip, actor=actor_of(user), action="identity.refuse_change_password"
        )
        raise NotAuthenticated(
            _("当前密码不正确。"), code="wrong_password", detail={"field": "current"}
        )
    if new == current:
        raise InvalidInput(
            _("新密码不能与当前密码相同。"), code="same_password", detail={"field": "password"}
        )
    _validate_password(new, user)
    with transaction.atomic(durable=True):
        user.set_password(new)
        user.save(update_fields=["password"])
        LoginFailure.objects.filter(username=user.username).delete()
        update_session_auth_hash(request, user)
        # Only the fact is recorded: neither the password nor its hash.
        record_entry(
            actor=actor_of(user),
            action="identity.change_password",
            subject_type=USER,
            subject_id=user.pk,
            data={"username": user.username, "ip": ip},
        )
    return user


def _count_failure(username: str, ip: str, *, actor: Actor, action: str) -> None:
    # Committed in its own transaction before the refusal is raised, so
    # that the failure counts however the caller handles the exception.
    with transaction.atomic(durable=True):
        failure = LoginFailure.objects.create(username=username, ip_address=ip)
        record_entry(
            actor=actor,
            action=action,
            subject_type="identity.LoginFailure",
            subject_id=failure.pk,
            data={"username": username, "ip": ip},
        )


def do_log_out(request: HttpRequest) -> None:
    """Log the request's user out; an anonymous request changes nothing and records nothing."""
    user = request.user
    if not isinstance(user, User):
        logout(request)
        return
    with transaction.atomic(durable=True):
        record_entry(
            actor=actor_of(user),
            action="identity.log_out",
            subject_type=USER,
            subject_id=user.pk,
            data={"username": user.username},
        )
        logout(request)


def do_purge_login_failures(*, actor: Actor, before: datetime | None = None) -> int:
    """Delete failed log-ins older than the throttling window; return how many went."""
    cutoff = before or timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_S)
    with transaction.atomic(durable=True):
        stale = LoginFailure.objects.filter(at__lt=cutoff)
        count = stale.count()
        if count == 0:
            return 0
        stale.delete()
        record_entry(
            actor=actor,
            action="identity.purge_login_failures",
            subject_type="identity.LoginFailure",
            subject_id=f"before:{cutoff.isoformat()}",
            data={"before": cutoff.isoformat(), "count": count},
        )
    return count


def client_ip(request: HttpRequest) -> str:
    """Return the client's address: REMOTE_ADDR, or the header a trusted proxy sets.

    Behind nginx every request comes from the proxy, so ``CLIENT_IP_HEADER``
    (a ``request.META`` key such as ``HTTP_X_REAL_IP``) names where the proxy
    puts the real address. For a list (X-Forwarded-For) the last entry is
    used: it is the one our own proxy appended, the others are client-supplied.
    """
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    raw = str(request.META.get(header, "")) if header else ""
    candidate = raw.split(",")[-1].strip() if raw else str(request.META.get("REMOTE_ADDR", ""))
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # Unknown origins share one bucket, so they are throttled together.
        return "0.0.0.0"  # noqa: S104


def _refuse_if_throttled(username: str, ip: str) -> None:
    limit = settings.LOGIN_THROTTLE_ATTEMPTS
    window = timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_S)
    now = timezone.now()
    recent = LoginFailure.objects.filter(at__gte=now - window)
    for failures in (recent.filter(username=username), recent.filter(ip_address=ip)):
        times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            # Attempts resume once the oldest of the last ``limit`` failures expires.
            retry_after = max(1, int((times[-1] + window - now).total_seconds()) + 1)
            raise Throttled(
                gettext("登录失败次数过多，请 %(minutes)d 分钟后再试。")
                % {"minutes": (retry_after + 59) // 60},
                code="too_many_attempts",
                detail={"retry_after": retry_after},
            )
