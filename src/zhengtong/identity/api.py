"""The identity app's API operations: who am I, and G2G client credentials."""

import json

import pydantic
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from zhengtong.core.errors import InvalidInput, NotAuthenticated, PermissionDenied
from zhengtong.core.masking import mask_id_number, mask_name, mask_phone
from zhengtong.core.models import Department
from zhengtong.core.schemas import ERROR_RESPONSES, ErrorOut
from zhengtong.identity.access import access_client_by_id
from zhengtong.identity.actions import do_issue_client, do_revoke_client, do_rotate_client_secret
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import any_principal, principal_of, session_auth
from zhengtong.identity.models import SystemClient, User
from zhengtong.identity.permissions import (
    MANAGE_CLIENTS,
    departments_in_scope,
    has_permission,
    role_label,
)
from zhengtong.identity.schemas import (
    ClientIn,
    ClientOut,
    ClientSecretOut,
    DepartmentRefOut,
    MaskedPersonOut,
    MembershipOut,
    MeOut,
    PostOut,
    RoleOut,
    RotateClientIn,
)
from zhengtong.identity.selectors import (
    clients_of_departments,
    memberships_of,
    posts_of,
    roles_of,
)

router = Router(tags=["identity"])

ERRORS = ERROR_RESPONSES


@router.get("/me", response={200: MeOut, 401: ErrorOut}, auth=any_principal)
def me(request: HttpRequest) -> MeOut:
    """Tell the caller who it is: a user (by session or token) or a G2G client."""
    principal = principal_of(request)
    if isinstance(principal, SystemClient):
        return _client_me(principal)
    if isinstance(principal, User):
        return _user_me(principal)
    raise NotAuthenticated()


@router.get("/clients", response={200: list[ClientOut], 401: ErrorOut}, auth=session_auth)
def list_clients(request: HttpRequest) -> list[ClientOut]:
    """List the G2G clients of the departments where the user manages clients."""
    user = _user(request)
    clients = clients_of_departments(departments_in_scope(user, MANAGE_CLIENTS))
    return [_client_out(client) for client in clients]


@router.post("/clients", response={201: ClientSecretOut, **ERRORS}, auth=session_auth)
def issue_client(request: HttpRequest, payload: ClientIn) -> Status[ClientSecretOut]:
    """Register a department's system; the secret is in this response only."""
    user = _user(request)
    department = (
        Department.objects.select_related("region").filter(code=payload.department_code).first()
    )
    if department is None:
        raise InvalidInput(
            _("没有这个编码的部门。"),
            code="unknown_department",
            detail={"field": "department_code", "code": payload.department_code},
        )
    if not has_permission(user, MANAGE_CLIENTS, department=department):
        raise PermissionDenied(code="permission_denied", detail={"permission": MANAGE_CLIENTS})
    client, secret = do_issue_client(department, payload.name, payload.scopes, actor=actor_of(user))
    return Status(201, _secret_out(client, secret))


@router.post(
    "/clients/{client_id}/rotate",
    response={200: ClientSecretOut, **ERRORS},
    auth=session_auth,
    # The body is optional and read by hand (see ``_seen_rotation_in_body``),
    # so ninja is told of it only for the OpenAPI document.
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": RotateClientIn.model_json_schema()}},
        }
    },
)
def rotate_client(
    request: HttpRequest, client_id: int, seen_rotation: str | None = None
) -> ClientSecretOut:
    """Give the client a new secret (in this response only); the old one stops working.

    ``seen_rotation`` (optional), in the query string or in the JSON body
    (``{"seen_rotation": ...}``): the client's ``rotated_at`` as last read, or
    ``never``; when the secret was rotated since, the call is refused
    (409 ``rotated_meanwhile``) instead of replacing the secret just handed out.
    Sent in both places with different values, the call is refused
    (400 ``conflicting_seen_rotation``). The body may be left out.
    """
    user = _user(request)
    client = access_client_by_id(user, client_id)
    seen = _one_seen_rotation(seen_rotation, _seen_rotation_in_body(request))
    secret = do_rotate_client_secret(client, actor=actor_of(user), seen_rotation=seen)
    return _secret_out(client, secret)


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _seen_rotation_in_body(request: HttpRequest) -> str | None:
    # A bare POST from many clients is an empty form, which said nothing
    # before the body was read and still says nothing; anything else must be
    # the JSON object, as ninja reads a body whatever its content type.
    if request.content_type in _FORM_TYPES and not request.POST and not request.FILES:
        return None
    if not request.body:
        return None
    try:
        data = json.loads(request.body)
    except ValueError as error:
        raise HttpError(400, "Cannot parse request body") from error
    try:
        return RotateClientIn.model_validate(data).seen_rotation
    except pydantic.ValidationError as error:
        raise NinjaValidationError(
            [
                {**e, "loc": ("body", "payload", *e["loc"])}
                for e in error.errors(include_url=False, include_context=False)
            ]
        ) from error


def _one_seen_rotation(in_query: str | None, in_body: str | None) -> str | None:
    # Neither place is preferred: a caller that sends two readings cannot
    # say which it saw, and taking one could rotate a secret it never saw.
    if in_query is not None and in_body is not None and in_query != in_body:
        raise InvalidInput(
            _("“上次轮换时间”在查询参数和请求体中不一致。"),
            code="conflicting_seen_rotation",
            detail={"field": "seen_rotation"},
        )
    return in_body if in_body is not None else in_query


@router.post("/clients/{client_id}/revoke", response={200: ClientOut, **ERRORS}, auth=session_auth)
def revoke_client(request: HttpRequest, client_id: int) -> ClientOut:
    """Revoke the client for good."""
    user = _user(request)
    client = access_client_by_id(user, client_id)
    return _client_out(do_revoke_client(client, actor=actor_of(user)))


def _user(request: HttpRequest) -> User:
    principal = principal_of(request)
    if not isinstance(principal, User):
        raise NotAuthenticated()
    return principal


def _department_out(department: Department) -> DepartmentRefOut:
    return DepartmentRefOut(
        code=department.code,
        name=department.name,
        short_name=department.short_name,
        region_code=department.region_id,
    )


def _client_out(client: SystemClient) -> ClientOut:
    return ClientOut(
        id=client.pk,
        key_id=client.key_id,
        name=client.name,
        department=_department_out(client.department),
        scopes=list(client.scopes),
        created_at=client.created_at,
        rotated_at=client.rotated_at,
        revoked_at=client.revoked_at,
        last_used_at=client.last_used_at,
        is_revoked=client.revoked_at is not None,
    )


def _secret_out(client: SystemClient, secret: str) -> ClientSecretOut:
    return ClientSecretOut(
        client=_client_out(client), secret=secret, token=f"{client.key_id}.{secret}"
    )


def _client_me(client: SystemClient) -> MeOut:
    actor = actor_of(client)
    return MeOut(
        kind="client",
        id=actor.id,
        label=actor.label,
        audience=None,
        username=None,
        person=None,
        roles=[],
        department=_department_out(client.department),
        posts=[],
        enterprises=[],
        scopes=sorted(client.scopes),
    )


def _user_me(user: User) -> MeOut:
    actor = actor_of(user)
    posts = list(posts_of(user))
    person = user.person
    return MeOut(
        kind="user",
        id=actor.id,
        label=actor.label,
        audience=user.audience or None,  # type: ignore[arg-type]
        username=user.username,
        person=MaskedPersonOut(
            name=mask_name(person.name),
            id_number=mask_id_number(person.id_number),
            phone=mask_phone(person.phone) if person.phone else "",
        )
        if person is not None
        else None,
        roles=[RoleOut(code=role.code, name=role_label(role)) for role in roles_of(user)],
        department=_department_out(posts[0].department) if posts else None,
        posts=[
            PostOut(
                department=_department_out(post.department),
                role=RoleOut(code=post.role.code, name=role_label(post.role)),
                scope=post.scope,  # type: ignore[arg-type]
                scope_region_code=(post.scope_region_id or post.department.region_id)
                if post.scope == "region"
                else None,
            )
            for post in posts
        ],
        enterprises=[
            MembershipOut(
                credit_code=m.enterprise.credit_code,
                name=m.enterprise.name,
                relation=m.relation,  # type: ignore[arg-type]
                valid_until=m.valid_until,
            )
            for m in memberships_of(user)
        ],
        scopes=[],
    )
