"""Who may manage which hosted and proxied datasets, applications and grants."""

from django.db.models import QuerySet

from zhengtong.catalog.access import Principal, may_edit
from zhengtong.catalog.models import Resource
from zhengtong.catalog.permissions import EDIT_RESOURCES, REVIEW_RESOURCES
from zhengtong.core.errors import NotFound, PermissionDenied
from zhengtong.core.models import Department
from zhengtong.exchange.models import AccessApplication, Grant, HostedDataset, ProxiedDataset
from zhengtong.exchange.permissions import MANAGE_ACCESS, PUSH_RECORDS
from zhengtong.identity.models import SystemClient
from zhengtong.identity.permissions import departments_in_scope, has_permission
from zhengtong.identity.selectors import own_post_departments


def _served_by_code(principal: Principal, code: str) -> HostedDataset:
    """Find a dataset by its resource's code or slug; missing and forbidden look the same."""
    served = (
        HostedDataset.objects.filter(resource__code=code.replace("-", "/"))
        .select_related("resource__provider__region")
        .first()
    )
    if served is None or not may_edit(principal, served.resource):
        raise NotFound()
    return served


def access_hosted_dataset_by_code(principal: Principal, code: str) -> HostedDataset:
    """Find a hosted dataset by its resource's code or slug; missing and forbidden alike."""
    return _served_by_code(principal, code)


def may_load(principal: Principal, resource: Resource) -> bool:
    """Whether the principal is a data officer of the resource's provider department itself."""
    # Loading a department's data and reading its raw change feed (full keys)
    # is that department's own business: a region-wide post (the data
    # bureau's administrator) may oversee quality and versions but may not.
    return resource.provider_id in own_post_departments(principal, EDIT_RESOURCES)


def access_own_hosted_dataset_by_code(principal: Principal, code: str) -> HostedDataset:
    """Find a dataset the principal may load and read raw; missing and forbidden look the same."""
    dataset = access_hosted_dataset_by_code(principal, code)
    if not may_load(principal, dataset.resource):
        raise NotFound()
    return dataset


def access_proxied_dataset_by_code(principal: Principal, code: str) -> ProxiedDataset:
    """Find a connected proxied dataset by its resource's code or slug; missing, removed
    and forbidden alike."""
    proxied = (
        ProxiedDataset.objects.connected()
        .filter(resource__code=code.replace("-", "/"))
        .select_related("resource__provider__region")
        .first()
    )
    if proxied is None or not may_edit(principal, proxied.resource):
        raise NotFound()
    return proxied


def access_dataset_for_pushing(client: SystemClient, code: str) -> HostedDataset:
    """A provider system may push records only to its own department's hosted datasets."""
    code = code.replace("-", "/")
    dataset = HostedDataset.objects.filter(resource__code=code).select_related("resource").first()
    if (
        dataset is None
        or dataset.resource.provider_id != client.department_id
        or PUSH_RECORDS not in client.scopes
    ):
        raise NotFound()
    return dataset


# --- Applications and grants ----------------------------------------------------
#
# Three kinds of staff see an application: the provider department's officers
# (who answer it), the applying department's officers (who may withdraw it)
# and the data bureau whose reach covers either department (who oversees
# answers across departments). Anyone else gets the same NotFound as for an
# id that does not exist.


def _acts_for(principal: Principal, department_id: int) -> bool:
    """Whether a post of the principal's own, in that department, manages data sharing."""
    # Granting another department's data, withdrawing or revoking is that
    # department's own business, as its catalog entries and its data are
    # (identity.selectors.own_post_departments): a region-wide post (the data
    # bureau's administrator) oversees the other departments' applications
    # and grants through may_oversee, and answers for none of them.
    return not isinstance(principal, SystemClient) and department_id in own_post_departments(
        principal, MANAGE_ACCESS
    )


def may_answer(principal: Principal, application: AccessApplication) -> bool:
    """Whether the principal answers for the provider of the application's resource."""
    return _acts_for(principal, application.resource.provider_id)


def may_withdraw(principal: Principal, application: AccessApplication) -> bool:
    """Whether the principal acts for the department whose system applied."""
    return _acts_for(principal, application.client.department_id)


def may_oversee(principal: Principal) -> bool:
    """Whether the principal oversees data sharing anywhere: the data bureau's reviewers."""
    return not isinstance(principal, SystemClient) and has_permission(principal, REVIEW_RESOURCES)


def overseen_departments(principal: Principal) -> QuerySet[Department]:
    """The departments whose applications and grants the principal oversees.

    Oversight follows the catalog's review (``catalog.access.may_review``):
    a reviewer's post reaches the departments its scope covers, so a
    district's data bureau oversees its district's departments and the
    city's data bureau every department of the city and its districts.
    """
    if isinstance(principal, SystemClient):
        return Department.objects.none()
    return departments_in_scope(principal, REVIEW_RESOURCES)


def oversees_provider(principal: Principal, resource: Resource) -> bool:
    """Whether the principal oversees the resource's provider department (its data's quality)."""
    return overseen_departments(principal).filter(pk=resource.provider_id).exists()


def _oversees(principal: Principal, provider: Department, applicant: Department) -> bool:
    """Whether the principal oversees sharing between the two departments.

    Either side in the reviewer's reach will do: a district oversees what its
    departments give to others and what they ask others for.
    """
    return not isinstance(principal, SystemClient) and any(
        has_permission(principal, REVIEW_RESOURCES, department=d) for d in (provider, applicant)
    )


def access_application_by_id(principal: Principal, pk: int) -> AccessApplication:
    """Find an application the principal may see; missing and forbidden look the same."""
    application = (
        AccessApplication.objects.filter(pk=pk)
        .select_related("resource__provider__region", "client__department__region")
        .first()
    )
    if application is None or not (
        may_answer(principal, application)
        or may_withdraw(principal, application)
        or _oversees(principal, application.resource.provider, application.client.department)
    ):
        raise NotFound()
    return application


def require_answer(principal: Principal, application: AccessApplication) -> None:
    if not may_answer(principal, application):
        raise PermissionDenied()


def require_withdraw(principal: Principal, application: AccessApplication) -> None:
    if not may_withdraw(principal, application):
        raise PermissionDenied()


def may_revoke(principal: Principal, grant: Grant) -> bool:
    """The provider's officers end a grant of their department's resource."""
    return _acts_for(principal, grant.resource.provider_id)


def access_grant_by_id(principal: Principal, pk: int) -> Grant:
    """Find a grant the principal may see: provider, holder department or the data bureau."""
    grant = (
        Grant.objects.filter(pk=pk)
        .select_related("resource__provider__region", "client__department__region")
        .first()
    )
    if grant is None or not (
        may_revoke(principal, grant)
        or _acts_for(principal, grant.client.department_id)
        or _oversees(principal, grant.resource.provider, grant.client.department)
    ):
        raise NotFound()
    return grant


def require_revoke(principal: Principal, grant: Grant) -> None:
    if not may_revoke(principal, grant):
        raise PermissionDenied()


def applying_departments(principal: Principal) -> QuerySet[Department]:
    """The departments whose systems the principal may apply for: those of their own posts."""
    if isinstance(principal, SystemClient):
        return Department.objects.none()
    return own_departments(principal)


def own_departments(principal: Principal) -> QuerySet[Department]:
    """The departments the principal's data-sharing posts sit in (本部门), whatever their reach."""
    # A region-wide post (the data bureau's) may act for every department in
    # its region, but the lists headed 本部门 are about the department the
    # post belongs to; the rest is oversight and listed as such.
    ids = own_post_departments(principal, MANAGE_ACCESS)
    return Department.objects.filter(pk__in=ids).order_by("code")


def access_client_for_applying(principal: Principal, key_id: str) -> SystemClient:
    """A system of one of the principal's departments, named by its key id."""
    client = (
        SystemClient.objects.filter(
            key_id=key_id, department__in=applying_departments(principal), revoked_at__isnull=True
        )
        .select_related("department")
        .first()
    )
    if client is None:
        raise NotFound()
    return client


def clients_for_applying(principal: Principal, resource: Resource) -> QuerySet[SystemClient]:
    """The principal's departments' working systems that may apply for another's resource."""
    return (
        SystemClient.objects.filter(
            department__in=applying_departments(principal), revoked_at__isnull=True
        )
        .exclude(department_id=resource.provider_id)
        .select_related("department")
        .order_by("department__code", "name")
    )
