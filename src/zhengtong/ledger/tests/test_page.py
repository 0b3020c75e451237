"""The auditor's page at /audit/: search, htmx partial results, in-browser proof checking."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from zhengtong.core.actors import Actor
from zhengtong.ledger.actions import do_seal_ledger
from zhengtong.ledger.encoding import epoch_micros
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.tests.cast import LedgerCast, append

pytestmark = pytest.mark.django_db

URL = "/audit/"


def test_the_page_lives_at_audit() -> None:
    assert reverse("ledger:entries") == URL


def test_anonymous_visitors_are_sent_to_log_in(client: Client, cast: LedgerCast) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "next=/audit/" in response["Location"]


def test_staff_without_the_permission_are_refused(client: Client, cast: LedgerCast) -> None:
    client.force_login(cast.clerk)
    assert client.get(URL).status_code == 403


def test_an_auditor_sees_the_newest_entries_and_the_signed_head(
    client: Client, cast: LedgerCast
) -> None:
    append(3, action="core.page_entry")
    sth = do_seal_ledger(actor=Actor.system("test"))
    client.force_login(cast.auditor)
    response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" in text
    assert "core.page_entry" in text
    assert bytes(sth.root_hash).hex() in text
    assert sth.key_id in text
    assert "审计记录" in text


def test_the_rows_carry_what_the_browser_needs_to_recompute_the_leaf(
    client: Client, cast: LedgerCast
) -> None:
    (entry,) = append(1, action="core.leaf_check")
    client.force_login(cast.auditor)
    text = client.get(URL, {"action": "core.leaf_check"}).content.decode()
    stored = LedgerEntry.objects.get(seq=entry.seq)
    assert f'data-seq="{entry.seq}"' in text
    assert f'data-recorded-at-us="{epoch_micros(stored.recorded_at)}"' in text
    assert f'data-leaf-hash="{bytes(stored.leaf_hash).hex()}"' in text
    assert f'data-data-hash="{bytes(stored.data_hash).hex()}"' in text
    proof_url = reverse("api:ledger_inclusion_proof", kwargs={"seq": entry.seq})
    assert f'data-proof-url="{proof_url}"' in text
    assert f'data-sth-url="{reverse("api:ledger_latest_sth")}"' in text


def test_the_proof_check_runs_from_a_static_file_without_inline_script(
    client: Client, cast: LedgerCast
) -> None:
    client.force_login(cast.auditor)
    text = client.get(URL).content.decode()
    assert "ledger/verify_proof.js" in text
    for tag in re.findall(r"<script[^>]*>", text):
        assert "src=" in tag
    assert all(not body.strip() for body in re.findall(r"<script[^>]*>(.*?)</script>", text, re.S))
    assert not re.search(r"\son[a-z]+=", text)
    script = finders.find("ledger/verify_proof.js")
    assert script is not None
    source = Path(str(script)).read_text(encoding="utf-8")
    assert 'crypto.subtle.digest("SHA-256"' in source


def test_search_filters_the_results(client: Client, cast: LedgerCast) -> None:
    append(2, action="core.first_kind")
    append(2, action="core.second_kind")
    client.force_login(cast.auditor)
    text = client.get(URL, {"action": "core.second_kind"}).content.decode()
    assert "core.second_kind" in text
    assert "<code>core.first_kind</code>" not in text


def test_an_htmx_search_gets_only_the_results_partial(client: Client, cast: LedgerCast) -> None:
    append(2, action="core.partial_kind")
    client.force_login(cast.auditor)
    response = client.get(URL, {"action": "core.partial_kind"}, headers={"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert "core.partial_kind" in text
    assert "data-ledger-verify" in text


def test_later_pages_are_linked(client: Client, cast: LedgerCast) -> None:
    append(60, action="core.many")
    client.force_login(cast.auditor)
    text = client.get(URL, {"action": "core.many"}).content.decode()
    assert text.count("data-ledger-verify") == 50
    link = re.search(r'href="\?([^"]*before=(\d+)[^"]*)"', text)
    assert link is not None
    older = client.get(URL + "?" + link.group(1).replace("&amp;", "&")).content.decode()
    assert older.count("data-ledger-verify") == 10


def test_invalid_search_input_is_explained(client: Client, cast: LedgerCast) -> None:
    client.force_login(cast.auditor)
    text = client.get(
        URL, {"since": "2026-01-02T00:00", "until": "2026-01-01T00:00"}
    ).content.decode()
    assert "截止时间须晚于起始时间。" in text


def test_the_page_is_translated(client: Client, cast: LedgerCast) -> None:
    append(1, action="core.page_entry")
    sth = do_seal_ledger(actor=Actor.system("test"))
    client.force_login(cast.auditor)
    text = client.get(URL, headers={"Accept-Language": "en"}).content.decode()
    assert "Audit records" in text
    assert "Verify in browser" in text
    # The signed head's key reads with English punctuation.
    assert re.search(rf"<code>{sth.key_id}</code>\s*\(Ed25519\)", text)
