"""A file chosen beside a material is stored whichever button sends its form.

On the apply page and in the 补正 section the material inputs belong to the
page's form: 保存草稿, 提交申请 and 提交补正 send the files chosen as well as
the 上传 buttons do, and the files go through the same checks.
"""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhengtong.eservices.models import Application, ApplicationMaterial, SupersededMaterial
from zhengtong.eservices.tests.test_applicant_pages import (
    APPLY,
    MINE,
    draft_url,
    form_post,
    page,
    start,
)
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    ApplicationsCast,
    cast,
    logged_in,
    material,
    pdf,
    promise_day,
)
from zhengtong.eservices.tests.test_applications_flow import (
    ask_for_correction,
    do_step,
    draft,
    submitted,
)

__all__ = ["cast"]


def not_a_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("平面图.pdf", b"plain text", content_type="application/pdf")


def uploaded_name(application: Application, material_name: str) -> str | None:
    row = ApplicationMaterial.objects.filter(
        application=application, material__name__contains=material_name, kind="upload"
    ).first()
    return None if row is None else row.file_name


def correcting(http: Client, cast: ApplicationsCast) -> str:
    number = str(submitted(http, cast, MANUAL_FORM)["number"])
    do_step(logged_in(cast.clerk), number, passed=True, opinion="予以受理")
    ask_for_correction(logged_in(cast.reviewer), number, "请重新提交设备设施布局图")
    return number


def test_the_forms_that_hold_file_inputs_send_files(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = correcting(http, cast)
    html = page(http.get(f"{MINE}{number}/"))
    assert 'enctype="multipart/form-data"' in html.split('id="correction-form"')[0][-200:]
    number = draft(http, cast, {})["number"]
    html = page(http.get(f"{APPLY}?item={cast.food.code}&number={number}"))
    assert 'enctype="multipart/form-data"' in html.split('id="apply-form"')[0][-200:]


def test_submitting_the_draft_stores_the_files_chosen(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    url = draft_url(cast, application)
    layout = material(cast.food, "设备设施")
    rules = material(cast.food, "规章制度")
    response = http.post(
        url,
        {
            **form_post(MANUAL_FORM, "submit"),
            f"file-{layout.pk}": pdf("布局图.pdf"),
            f"file-{rules.pk}": pdf("制度.pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    application.refresh_from_db()
    assert application.state == "submitted"
    assert uploaded_name(application, "设备设施") == "布局图.pdf"
    assert uploaded_name(application, "规章制度") == "制度.pdf"


def test_saving_the_draft_stores_the_file_chosen(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    layout = material(cast.food, "设备设施")
    response = http.post(
        draft_url(cast, application),
        {**form_post(MANUAL_FORM, "save"), f"file-{layout.pk}": pdf("布局图.pdf")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert uploaded_name(application, "设备设施") == "布局图.pdf"
    html = page(http.get(response["Location"]))
    assert "草稿已保存。" in html and "布局图.pdf" in html


def test_a_bad_file_sent_with_the_submission_is_refused_beside_its_material(
    cast: ApplicationsCast,
) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    layout = material(cast.food, "设备设施")
    typed = form_post({**MANUAL_FORM, "business_items": "冷食类食品销售"}, "submit")
    html = page(
        http.post(draft_url(cast, application), {**typed, f"file-{layout.pk}": not_a_pdf()}), 400
    )
    beside = html.split(f'id="material-{layout.pk}"')[1].split("</li>")[0]
    assert "只接受 PDF、JPG 或 PNG 文件，且扩展名须与文件内容一致。" in beside
    assert ">冷食类食品销售</textarea>" in html
    application.refresh_from_db()
    assert application.state == "draft" and uploaded_name(application, "设备设施") is None

    # The same on 保存草稿: nothing typed is lost from the page.
    html = page(
        http.post(
            draft_url(cast, application),
            {**form_post({**MANUAL_FORM, "area": "135"}, "save"), f"file-{layout.pk}": not_a_pdf()},
        ),
        400,
    )
    beside = html.split(f'id="material-{layout.pk}"')[1].split("</li>")[0]
    assert "只接受 PDF、JPG 或 PNG 文件" in beside
    assert 'value="135"' in html


def test_handing_in_the_correction_stores_the_file_chosen(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = correcting(http, cast)
    application = Application.objects.get(number=number)
    layout = material(cast.food, "设备设施")
    before = uploaded_name(application, "设备设施")

    response = http.post(
        f"{MINE}{number}/",
        {
            **form_post(MANUAL_FORM, "correction"),
            "note": "已重新提交布局图",
            f"file-{layout.pk}": pdf("新布局图.pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    application.refresh_from_db()
    assert application.state == "accepted"
    assert uploaded_name(application, "设备设施") == "新布局图.pdf"
    # What it replaced stays for staff to compare.
    assert SupersededMaterial.objects.filter(
        application=application, material=layout, file_name=before
    ).exists()


def test_a_bad_file_sent_with_the_correction_keeps_it_open(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = correcting(http, cast)
    layout = material(cast.food, "设备设施")
    typed = {**form_post({**MANUAL_FORM, "area": "135"}, "correction"), "note": "布局图已更新"}

    html = page(http.post(f"{MINE}{number}/", {**typed, f"file-{layout.pk}": not_a_pdf()}), 400)
    beside = html.split(f'id="material-{layout.pk}"')[1].split("</li>")[0]
    assert "只接受 PDF、JPG 或 PNG 文件，且扩展名须与文件内容一致。" in beside
    assert 'value="135"' in html and "布局图已更新" in html
    application = Application.objects.get(number=number)
    assert application.state == "correcting" and application.form_data["area"] == 120
    assert uploaded_name(application, "设备设施") == "布局图.pdf"


def test_a_promise_pressed_for_a_material_leaves_its_chosen_file_out(
    cast: ApplicationsCast,
) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    layout = material(cast.food, "设备设施")
    rules = material(cast.food, "规章制度")
    response = http.post(
        draft_url(cast, application),
        {
            # As the browser sends the form when 作出容缺承诺 is pressed.
            **{k: str(v) for k, v in MANUAL_FORM.items()},
            "with_fields": "1",
            "promise": rules.pk,
            f"promised_on-{rules.pk}": promise_day().isoformat(),
            f"file-{rules.pk}": pdf("制度.pdf"),
            f"file-{layout.pk}": pdf("布局图.pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert uploaded_name(application, "设备设施") == "布局图.pdf"
    assert ApplicationMaterial.objects.get(application=application, material=rules).kind == (
        "commitment"
    )
    # The promise is all that was done for it: no upload it then replaced.
    assert not application.events.filter(kind="upload_material", note=rules.name).exists()
