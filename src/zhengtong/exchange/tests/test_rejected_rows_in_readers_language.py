"""The rows an upload left out, read again later: in the reader's language, and through the API.

吴十, data officer of the market bureau, uploads the enterprise registry with
a few bad rows, on the page in Chinese or through the API in English. The
kept reasons were text in the uploader's language, and the API's list of
versions did not return the rows at all. 周九 of the county bureau may not
read the market bureau's versions.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.models import DatasetVersion
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    ENTERPRISES,
    POPULATION,
    Sharing,
    logged_in,
    make_sharing,
)

SLUG = ENTERPRISES.replace("/", "-")
PEOPLE = POPULATION.replace("/", "-")
GOOD = make_credit_code(seq=611)
# Row 3 has no key, row 4 repeats row 2's key, row 5's name is too long.
BAD_ROWS = (
    f"uscc,name\n{GOOD},长沙甲公司\n,长沙乙公司\n{GOOD},重复\n"
    f"{make_credit_code(seq=612)},{'名' * 201}\n"
)

MISSING_ZH, MISSING_EN = "缺少主键。", "The key is missing."
REPEATED_ZH, REPEATED_EN = "主键与前面的行重复。", "The key repeats an earlier row."
LONG_ZH, LONG_EN = "超过200个字符。", "Longer than 200 characters."

# The cast's people are born on 1 January 1990 in 芙蓉区: 430102199001010016 is
# valid, so a last digit of 0 fails the check digit; 17 digits are one short.
ID_ROWS = "id_number,name\n430102800101001,李一\n43010219900101001,李二\n430102199001010010,李三\n"
ID_REASONS_ZH = [
    "这是15位的第一代身份证号码，已停止使用，请填写18位公民身份号码。",
    "公民身份号码应为18位，实为17位。",
    "校验位不符：应为 6，实为 0。",
]
ID_REASONS_EN = [
    "This is a 15-digit first-generation ID card number, which is no longer valid;"
    " enter the 18-digit citizen identity number.",
    "A citizen identity number has 18 characters; this one has 17.",
    "The check digit fails: expected 6, got 0.",
]
# 91430102000000078W is valid (make_credit_code(seq=7)).
CREDIT_ROWS = "uscc,name\n914301020000000780,长沙丙公司\n91430102000000078,长沙丁公司\n"
CREDIT_REASONS_ZH = ["校验位不符：应为 W，实为 0。", "统一社会信用代码应为18位，实为17位。"]
CREDIT_REASONS_EN = [
    "The check digit fails: expected W, got 0.",
    "A unified social credit code has 18 characters; this one has 17.",
]


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), "text/csv")


def _page_report(http: Client, slug: str, number: int, language: str) -> str:
    page = http.get(f"/exchange/datasets/{slug}/?version={number}", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    html = page.content.decode()
    return html.split('id="dataset-report"')[1].split("</table>")[0]


def _api_reasons(http: Client, slug: str, number: int, language: str) -> list[str]:
    answer = http.get(
        f"/api/exchange/datasets/{slug}/versions/{number}/problems", HTTP_ACCEPT_LANGUAGE=language
    )
    assert answer.status_code == 200, answer.content
    return [p["reason"] for p in answer.json()["problems"]]


def _latest_version(http: Client, slug: str) -> int:
    versions = http.get(f"/api/exchange/datasets/{slug}/versions")
    assert versions.status_code == 200
    number: int = versions.json()[0]["number"]
    return number


def test_an_upload_in_chinese_reads_in_english_on_the_page_and_through_the_api(
    sharing: Sharing,
) -> None:
    http = logged_in(sharing.officer)
    uploaded = http.post(f"/exchange/datasets/{SLUG}/", {"file": _file("企业.csv", BAD_ROWS)})
    assert uploaded.status_code == 200
    assert MISSING_ZH in uploaded.content.decode()
    number = _latest_version(http, SLUG)

    english = _page_report(http, SLUG, number, "en")
    assert MISSING_EN in english and REPEATED_EN in english and LONG_EN in english
    assert MISSING_ZH not in english and REPEATED_ZH not in english and LONG_ZH not in english
    assert _api_reasons(http, SLUG, number, "en") == [MISSING_EN, REPEATED_EN, LONG_EN]
    # The Chinese reader still reads them as they were written.
    chinese = _page_report(http, SLUG, number, "zh-hans")
    assert MISSING_ZH in chinese and REPEATED_ZH in chinese and LONG_ZH in chinese
    assert _api_reasons(http, SLUG, number, "zh-hans") == [MISSING_ZH, REPEATED_ZH, LONG_ZH]


def test_an_upload_in_english_reads_in_chinese_on_the_page_and_through_the_api(
    sharing: Sharing,
) -> None:
    http = logged_in(sharing.officer)
    uploaded = http.post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": _file("firms.csv", BAD_ROWS)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert uploaded.status_code == 200, uploaded.content
    # The upload's own answer is in the uploader's language, as before.
    assert [p["reason"] for p in uploaded.json()["problems"]] == [
        MISSING_EN,
        REPEATED_EN,
        LONG_EN,
    ]
    number = uploaded.json()["version"]["number"]

    chinese = _page_report(http, SLUG, number, "zh-hans")
    assert MISSING_ZH in chinese and REPEATED_ZH in chinese and LONG_ZH in chinese
    assert MISSING_EN not in chinese and REPEATED_EN not in chinese and LONG_EN not in chinese
    assert _api_reasons(http, SLUG, number, "zh-hans") == [MISSING_ZH, REPEATED_ZH, LONG_ZH]
    assert _api_reasons(http, SLUG, number, "en") == [MISSING_EN, REPEATED_EN, LONG_EN]


def test_identity_number_refusals_uploaded_in_chinese_read_in_english_with_their_values(
    sharing: Sharing,
) -> None:
    http = logged_in(sharing.officer)
    uploaded = http.post(f"/exchange/datasets/{PEOPLE}/", {"file": _file("人口.csv", ID_ROWS)})
    assert uploaded.status_code == 200
    assert ID_REASONS_ZH[2] in uploaded.content.decode()
    number = _latest_version(http, PEOPLE)

    assert _api_reasons(http, PEOPLE, number, "en") == ID_REASONS_EN
    english = _page_report(http, PEOPLE, number, "en")
    assert all(reason in english for reason in ID_REASONS_EN)
    assert not any(reason in english for reason in ID_REASONS_ZH)
    # The Chinese reader still reads them as they were written.
    assert _api_reasons(http, PEOPLE, number, "zh-hans") == ID_REASONS_ZH
    chinese = _page_report(http, PEOPLE, number, "zh-hans")
    assert all(reason in chinese for reason in ID_REASONS_ZH)


def test_identity_number_refusals_uploaded_in_english_read_in_chinese_with_their_values(
    sharing: Sharing,
) -> None:
    http = logged_in(sharing.officer)
    uploaded = http.post(
        f"/api/exchange/datasets/{PEOPLE}/uploads",
        {"file": _file("people.csv", ID_ROWS)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert uploaded.status_code == 200, uploaded.content
    # The upload's own answer is in the uploader's language, as before.
    assert [p["reason"] for p in uploaded.json()["problems"]] == ID_REASONS_EN
    number = uploaded.json()["version"]["number"]

    assert _api_reasons(http, PEOPLE, number, "zh-hans") == ID_REASONS_ZH
    chinese = _page_report(http, PEOPLE, number, "zh-hans")
    assert all(reason in chinese for reason in ID_REASONS_ZH)
    assert not any(reason in chinese for reason in ID_REASONS_EN)
    assert _api_reasons(http, PEOPLE, number, "en") == ID_REASONS_EN


def test_credit_code_refusals_read_in_the_readers_language_with_their_values(
    sharing: Sharing,
) -> None:
    http = logged_in(sharing.officer)
    uploaded = http.post(f"/exchange/datasets/{SLUG}/", {"file": _file("企业.csv", CREDIT_ROWS)})
    assert uploaded.status_code == 200
    number = _latest_version(http, SLUG)

    assert _api_reasons(http, SLUG, number, "en") == CREDIT_REASONS_EN
    english = _page_report(http, SLUG, number, "en")
    assert all(reason in english for reason in CREDIT_REASONS_EN)
    assert not any(reason in english for reason in CREDIT_REASONS_ZH)

    in_english = http.post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": _file("firms.csv", CREDIT_ROWS)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert in_english.status_code == 200, in_english.content
    later = in_english.json()["version"]["number"]
    assert _api_reasons(http, SLUG, later, "zh-hans") == CREDIT_REASONS_ZH
    chinese = _page_report(http, SLUG, later, "zh-hans")
    assert all(reason in chinese for reason in CREDIT_REASONS_ZH)
    assert not any(reason in chinese for reason in CREDIT_REASONS_EN)


def test_rows_kept_before_reasons_could_be_translated_still_show_as_written(
    sharing: Sharing,
) -> None:
    http = logged_in(sharing.officer)
    uploaded = http.post(f"/exchange/datasets/{SLUG}/", {"file": _file("企业.csv", BAD_ROWS)})
    assert uploaded.status_code == 200
    number = _latest_version(http, SLUG)
    # As the version kept them before: the reason's text alone, in the uploader's language.
    DatasetVersion.objects.filter(dataset__resource__code=ENTERPRISES, number=number).update(
        problems=[
            {"row": 3, "item": "uscc", "reason": "The key is missing.", "code": "key_required"},
            {"row": 4, "item": "uscc", "reason": REPEATED_ZH, "code": "duplicate_key"},
        ]
    )
    for language in ("en", "zh-hans"):
        report = _page_report(http, SLUG, number, language)
        assert "The key is missing." in report and REPEATED_ZH in report
        assert _api_reasons(http, SLUG, number, language) == ["The key is missing.", REPEATED_ZH]


def test_the_api_returns_the_rows_a_version_left_out(sharing: Sharing) -> None:
    http = logged_in(sharing.officer)
    uploaded = http.post(
        f"/api/exchange/datasets/{SLUG}/uploads", {"file": _file("企业.csv", BAD_ROWS)}
    )
    number = uploaded.json()["version"]["number"]
    answer = http.get(f"/api/exchange/datasets/{SLUG}/versions/{number}/problems")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["version"]["number"] == number
    assert body["version"]["rejected"] == 3 and body["version"]["accepted"] == 1
    assert body["problems"] == [
        {"row": 3, "item": "uscc", "reason": MISSING_ZH, "code": "key_required"},
        {"row": 4, "item": "uscc", "reason": REPEATED_ZH, "code": "duplicate_key"},
        {"row": 5, "item": "name", "reason": LONG_ZH, "code": "invalid_value"},
    ]
    # A version that left nothing out (the set-up's load) lists no rows.
    first = http.get(f"/api/exchange/datasets/{SLUG}/versions/1/problems")
    assert first.status_code == 200
    assert first.json()["problems"] == [] and first.json()["version"]["rejected"] == 0


def test_another_departments_officer_cannot_read_the_rows_as_they_cannot_read_the_versions(
    sharing: Sharing,
) -> None:
    http = logged_in(sharing.officer)
    uploaded = http.post(
        f"/api/exchange/datasets/{SLUG}/uploads", {"file": _file("企业.csv", BAD_ROWS)}
    )
    number = uploaded.json()["version"]["number"]
    county = logged_in(sharing.county_officer)
    assert county.get(f"/api/exchange/datasets/{SLUG}/versions").status_code == 404
    refused = county.get(f"/api/exchange/datasets/{SLUG}/versions/{number}/problems")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    # Refused as a dataset that does not exist is: nothing tells it apart.
    missing = county.get("/api/exchange/datasets/999000000-000009/versions/1/problems")
    assert missing.status_code == 404 and missing.json() == refused.json()


@pytest.mark.parametrize("number", [99, 0, 2**63])
def test_a_version_the_dataset_does_not_have_is_not_found(sharing: Sharing, number: int) -> None:
    answer = logged_in(sharing.officer).get(
        f"/api/exchange/datasets/{SLUG}/versions/{number}/problems"
    )
    assert answer.status_code == 404, answer.content
    assert answer.json()["code"] == "unknown_version"
