"""The audit page names actions and subjects readably and keeps their codes for searching."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from zhengtong.core.calendar import calendar_coverage
from zhengtong.core.models import Person
from zhengtong.ledger.labels import ACTION_LABELS, action_label, subject_type_label
from zhengtong.ledger.tests.cast import LedgerCast, append

pytestmark = pytest.mark.django_db

URL = "/audit/"


def _row_cells(text: str, seq: int) -> str:
    match = re.search(rf'<tr>\s*<td data-label="[^"]*">{seq}</td>(.*?)</tr>', text, re.S)
    assert match is not None
    return match.group(1)


def test_the_page_names_the_action_and_keeps_its_code(client: Client, cast: LedgerCast) -> None:
    (entry,) = append(1, action="identity.assign_post", subject_type="identity.User")
    client.force_login(cast.auditor)
    cells = _row_cells(client.get(URL).content.decode(), entry.seq)
    assert '<span title="identity.assign_post">分配岗位</span>' in cells
    assert "<code" in cells and ">identity.assign_post</code>" in cells
    # The kind of subject by its model's name, with the type as recorded.
    assert '<span title="identity.User">用户</span>' in cells
    assert ">identity.User</code>" in cells


def test_the_names_follow_the_language(client: Client, cast: LedgerCast) -> None:
    (entry,) = append(1, action="core.register_person", subject_type="core.Person")
    client.force_login(cast.auditor)
    text = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    cells = _row_cells(text, entry.seq)
    assert '<span title="core.register_person">Register a person</span>' in cells
    # The recorded action, one per row, not a column of buttons ("Actions").
    assert '<th scope="col">Action</th>' in text
    assert 'data-label="Action"' in cells
    with translation.override("en"):
        person = str(Person._meta.verbose_name)
    assert re.search(r"[A-Za-z]", person)
    assert f'<span title="core.Person">{person}</span>' in cells


def test_a_recorded_holiday_notice_is_named_on_the_page(
    client: Client, cast: LedgerCast, tmp_path: Path
) -> None:
    year = calendar_coverage().stop
    notice = tmp_path / "notice.csv"
    notice.write_text(f"date,kind,name\n{year}-01-01,休,元旦\n", encoding="utf-8")
    call_command(
        "record_holiday_arrangement", str(notice), "--year", str(year), "--notice", "国办发明电"
    )
    client.force_login(cast.auditor)
    response = client.get(URL, {"action": "core.record_holiday_arrangement"})
    (row,) = response.context["rows"]
    cells = _row_cells(response.content.decode(), row.entry.seq)
    assert '<span title="core.record_holiday_arrangement">录入节假日安排</span>' in cells


def test_an_action_without_a_name_is_shown_by_its_code(client: Client, cast: LedgerCast) -> None:
    (entry,) = append(1, action="core.something_new", subject_type="core.NoSuchThing")
    client.force_login(cast.auditor)
    cells = _row_cells(client.get(URL).content.decode(), entry.seq)
    assert "core.something_new" in cells and "<span title" not in cells
    assert action_label("core.something_new") == "core.something_new"
    assert subject_type_label("core.NoSuchThing") == "core.NoSuchThing"
    assert subject_type_label("not a type") == "not a type"


def test_the_search_still_goes_by_the_code(client: Client, cast: LedgerCast) -> None:
    append(1, action="identity.end_post")
    append(1, action="identity.assign_post")
    client.force_login(cast.auditor)
    response = client.get(URL, {"action": "identity.end_post"})
    assert [row.entry.action for row in response.context["rows"]] == ["identity.end_post"]
    assert [row.action_label for row in response.context["rows"]] == ["结束岗位"]


def test_every_named_action_has_an_english_name() -> None:
    with translation.override("en"):
        untranslated = [
            code for code, label in ACTION_LABELS.items() if re.search(r"[一-鿿]", str(label))
        ]
    assert untranslated == []


def test_every_kind_of_subject_is_named_in_both_languages(client: Client, cast: LedgerCast) -> None:
    (entry,) = append(1, subject_type="exchange.HostedDataset")
    client.force_login(cast.auditor)
    cells = _row_cells(client.get(URL).content.decode(), entry.seq)
    assert '<span title="exchange.HostedDataset">托管数据集</span>' in cells
    models = [m for m in apps.get_models() if m.__module__.startswith("zhengtong.")]
    for model in models:
        label = model._meta.label
        with translation.override("zh-hans"):
            chinese = subject_type_label(label)
        with translation.override("en"):
            english = subject_type_label(label)
        assert not re.search(r"[A-Za-z]", chinese), label
        assert english != chinese, label


def test_every_action_the_platform_records_by_name_is_named_on_the_page() -> None:
    # An action without a name shows as its code to auditors; the literal
    # action names written in the modules' code must all have one.
    source = Path(apps.get_app_config("ledger").path).parent
    recorded = set()
    for path in source.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        recorded |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text("utf-8")))
    assert recorded, "no action names found: the pattern no longer fits the code"
    assert sorted(recorded - set(ACTION_LABELS)) == []
