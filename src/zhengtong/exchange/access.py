"""Who may manage which hosted datasets: the provider department's data officers."""

from zhengtong.catalog.access import Principal, may_edit
from zhengtong.core.errors import NotFound
from zhengtong.exchange.models import HostedDataset
from zhengtong.exchange.permissions import PUSH_RECORDS
from zhengtong.identity.models import SystemClient


def access_hosted_dataset_by_code(principal: Principal, code: str) -> HostedDataset:
    """Find a dataset by its resource's code or slug; missing and forbidden look the same."""
    code = code.replace("-", "/")
    dataset = (
        HostedDataset.objects.filter(resource__code=code)
        .select_related("resource__provider__region")
        .first()
    )
    if dataset is None or not may_edit(principal, dataset.resource):
        raise NotFound()
    return dataset


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
