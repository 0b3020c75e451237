"""The demo's closing summary counts as 有效授权 only the grants in force."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.exchange.models import Grant
from zhengtong.identity.actions import do_revoke_client
from zhengtong.identity.models import SystemClient


def _grants_in_force_said(output: str) -> int:
    found = re.search(r"(\d+) 项有效授权", output)
    assert found is not None, output
    return int(found[1])


@pytest.mark.django_db
def test_the_grants_of_a_stopped_system_are_not_counted_as_in_force() -> None:
    call_command("load_demo", stdout=StringIO())
    out = StringIO()
    call_command("load_demo", stdout=out)
    before = _grants_in_force_said(out.getvalue())
    assert before > 0
    for client in SystemClient.objects.filter(grants__isnull=False).distinct():
        do_revoke_client(client, actor=TEST_ACTOR)
    # Stopping a system revokes none of its grants.
    assert Grant.objects.filter(revoked_at__isnull=True).count() >= before
    out = StringIO()
    call_command("load_demo", stdout=out)
    # The demo issues its systems anew and files their applications again;
    # the grants of the stopped ones are no longer counted.
    working = Grant.objects.filter(revoked_at__isnull=True, client__revoked_at__isnull=True)
    assert _grants_in_force_said(out.getvalue()) <= working.count()
    assert (
        _grants_in_force_said(out.getvalue())
        < Grant.objects.filter(revoked_at__isnull=True).count()
    )
