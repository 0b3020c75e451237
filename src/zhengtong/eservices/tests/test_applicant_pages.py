"""The applicants' pages: 在线办理 (form, materials, submit), 我的办件 and one application."""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhengtong.eservices import application_actions
from zhengtong.eservices.models import Application, ApplicationMaterial, Notification
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    MANUAL_FORM,
    ApplicationsCast,
    cast,
    logged_in,
    material,
    pdf,
    promise_day,
)
from zhengtong.eservices.tests.test_applications_flow import (
    URL,
    ask_for_correction,
    complete_draft,
    do_step,
    submitted,
)

__all__ = ["cast"]

APPLY = "/services/apply/"
MINE = "/services/mine/"


def page(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.content.decode()[:2000]
    return str(response.content.decode())


def start(http: Client, cast: ApplicationsCast) -> Application:
    response = http.post(f"{APPLY}?item={cast.food.code}")
    assert response.status_code == 302
    application = Application.objects.get(applicant=cast.applicant, item=cast.food)
    assert response["Location"] == f"{APPLY}?item={cast.food.code}&number={application.number}"
    return application


def draft_url(cast: ApplicationsCast, application: Application) -> str:
    return f"{APPLY}?item={cast.food.code}&number={application.number}"


def form_post(form: dict[str, Any], action: str) -> dict[str, Any]:
    return {**{k: str(v) for k, v in form.items()}, "action": action}


def provide_materials(
    http: Client, cast: ApplicationsCast, url: str, *, promise: bool = True
) -> None:
    layout = material(cast.food, "设备设施")
    response = http.post(url, {"action": "upload", "material": layout.pk, "file": pdf()})
    assert response.status_code == 302, response.content.decode()[:2000]
    rules = material(cast.food, "规章制度")
    if not promise:  # a 秒批 case hands in everything
        response = http.post(url, {"action": "upload", "material": rules.pk, "file": pdf()})
        assert response.status_code == 302, response.content.decode()[:2000]
        return
    response = http.post(
        url,
        {"action": "promise", "material": rules.pk, "promised_on": promise_day().isoformat()},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_the_apply_page_asks_for_a_login(cast: ApplicationsCast) -> None:
    response = Client().get(f"{APPLY}?item={cast.food.code}")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert page(logged_in(cast.applicant).get(f"{APPLY}?item=000000000000"), 404)


def test_a_draft_starts_prefilled_and_renders_the_schema_form(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    html = page(http.get(f"{APPLY}?item={cast.food.code}"))
    assert "开始填写" in html
    application = start(http, cast)
    html = page(http.get(draft_url(cast, application)))
    # Prefilled from the login and from the enterprise register: read-only, verified.
    assert cast.enterprise.credit_code in html and cast.enterprise.name in html
    assert html.count("已核验") >= 4 and "实名认证信息" in html and "共享获取" in html
    assert 'name="uscc"' not in html and 'name="enterprise_name"' not in html
    # The rest of the schema: an enum hinted as radio buttons, number, textarea.
    assert 'name="business_type"' in html and '<select id="f-business_type"' not in html
    assert (
        '<input type="radio" id="f-business_type-1" name="business_type" value="餐饮服务"' in html
    )
    assert '<fieldset class="radio-group"' in html
    assert 'name="area"' in html and 'inputmode="decimal"' in html
    assert '<textarea id="f-business_items"' in html
    # Materials with their sources.
    assert "免提交" in html and "电子证照" in html and "需上传" in html
    assert 'type="file"' in html and "作出容缺承诺" in html
    # Going back to the item finds the same draft rather than starting another,
    # and 开始填写 posted again leaves the draft as it is.
    assert "保存草稿" in page(http.get(f"{APPLY}?item={cast.food.code}"))
    http.post(draft_url(cast, application), form_post(MANUAL_FORM, "save"))
    assert http.post(f"{APPLY}?item={cast.food.code}").status_code == 302
    application.refresh_from_db()
    assert application.form_data["area"] == 120
    assert Application.objects.filter(applicant=cast.applicant).count() == 1


def test_field_problems_are_shown_per_field_in_chinese(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    bad = {**MANUAL_FORM, "area": "一百", "phone": "123"}
    html = page(http.post(draft_url(cast, application), form_post(bad, "save")), 400)
    assert "申请表填写有误，请按提示修改。" in html
    assert '<ul class="errorlist" id="e-area"><li>应为数字。</li></ul>' in html
    assert '<ul class="errorlist" id="e-phone"><li>格式不正确。</li></ul>' in html
    assert 'value="一百"' in html  # what was typed stays in the field
    application.refresh_from_db()
    assert "area" not in application.form_data

    response = http.post(draft_url(cast, application), form_post(MANUAL_FORM, "save"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.form_data["area"] == 120
    assert application.form_data["business_type"] == "餐饮服务"
    assert "草稿已保存" in page(http.get(draft_url(cast, application)))


def test_submitting_without_materials_names_each_missing_one(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    html = page(http.post(draft_url(cast, application), form_post(MANUAL_FORM, "submit")), 400)
    assert "申请材料不齐全。" in html
    assert "请上传该材料。" in html and "请上传该材料，或作出容缺承诺。" in html
    # Required fields left empty are named too.
    html = page(http.post(draft_url(cast, application), {"action": "submit"}), 400)
    assert "请填写“经营面积（平方米）”。" in html


def test_uploads_are_checked_and_promises_dated(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    url = draft_url(cast, application)
    layout = material(cast.food, "设备设施")
    fake = SimpleUploadedFile("布局图.pdf", b"not a pdf", content_type="application/pdf")
    html = page(http.post(url, {"action": "upload", "material": layout.pk, "file": fake}), 400)
    assert "只接受 PDF、JPG 或 PNG 文件，且扩展名须与文件内容一致。" in html
    html = page(http.post(url, {"action": "upload", "material": layout.pk}), 400)
    assert "请选择要上传的文件。" in html
    rules = material(cast.food, "规章制度")
    html = page(http.post(url, {"action": "promise", "material": rules.pk}), 400)
    assert "请填写承诺补交日期。" in html
    html = page(
        http.post(url, {"action": "promise", "material": layout.pk, "promised_on": "2099-01-01"}),
        400,
    )
    assert "该材料不可容缺。" in html

    provide_materials(http, cast, url)
    html = page(http.get(url))
    assert "已上传" in html and "布局图.pdf" in html
    assert f"承诺于 {promise_day().isoformat()} 前补交" in html
    kinds = set(ApplicationMaterial.objects.filter(application=application).values_list("kind"))
    assert kinds == {("upload",), ("commitment",)}


def test_a_submitted_application_is_listed_and_followed(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    url = draft_url(cast, application)
    provide_materials(http, cast, url)
    response = http.post(url, form_post(MANUAL_FORM, "submit"))
    assert response.status_code == 302
    assert response["Location"] == f"{MINE}{application.number}/"
    html = page(http.get(response["Location"]))
    assert "申请已提交，请等待受理。" in html
    assert "已提交，待受理" in html and "创建草稿" in html and "上传材料" in html
    assert "撤回申请" in html and "好差评" not in html
    # What was sent is shown read-only, the values from the exchange marked as checked.
    sent = html.split('id="form-head"', 1)[1].split("</section>", 1)[0]
    assert "热食类食品制售" in sent and "13812345678" in sent and "<input" not in sent
    assert cast.enterprise.name in sent and "已核验" in sent
    # The draft page now leads to the application.
    assert http.get(url)["Location"] == f"{MINE}{application.number}/"

    html = page(http.get(MINE))
    assert application.number in html and cast.food.name in html and "已提交，待受理" in html
    # The list, not the messages below it, which name every application.
    listed = page(http.get(f"{MINE}?state=approved")).split('id="inbox-head"')[0]
    assert application.number not in listed

    # The clerk accepts: a deadline and the share of time used appear.
    do_step(logged_in(cast.clerk), application.number, passed=True, opinion="予以受理")
    html = page(http.get(f"{MINE}{application.number}/"))
    assert "已受理，办理中" in html and "<progress" in html and "受理环节办结" in html


def test_another_users_application_is_not_found(cast: ApplicationsCast) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    other = logged_in(cast.citizen)
    assert other.get(f"{MINE}{number}/").status_code == 404
    assert other.post(f"{MINE}{number}/", {"action": "withdraw"}).status_code == 404
    assert number not in page(other.get(MINE))
    application = Application.objects.get(number=number)
    assert application.state == "submitted"
    url = f"{APPLY}?item={application.item.code}&number={number}"
    assert other.get(url).status_code == 404


def test_correction_is_answered_on_the_page(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]
    do_step(logged_in(cast.clerk), number, passed=True, opinion="予以受理")
    reviewer = logged_in(cast.reviewer)
    ask_for_correction(reviewer, number, "请补充经营场所平面布局图中的功能分区标注")
    html = page(http.get(f"{MINE}{number}/"))
    assert "补正告知" in html and "请补充经营场所平面布局图中的功能分区标注" in html
    assert "暂停计时" in html and 'value="correction"' in html and 'type="file"' in html

    bad = {**MANUAL_FORM, "area": "0"}
    html = page(http.post(f"{MINE}{number}/", {**form_post(bad, "correction")}), 400)
    assert "不能小于 1。" in html

    layout = material(cast.food, "设备设施")
    response = http.post(
        f"{MINE}{number}/", {"action": "upload", "material": layout.pk, "file": pdf("新图.pdf")}
    )
    assert response.status_code == 302
    response = http.post(
        f"{MINE}{number}/", {**form_post(MANUAL_FORM, "correction"), "note": "已补充功能分区"}
    )
    assert response.status_code == 302
    html = page(http.get(f"{MINE}{number}/"))
    assert "补正材料已提交" in html and "补正告知" not in html and "已受理，办理中" in html
    assert Application.objects.get(number=number).state == "accepted"


def test_an_upload_during_correction_keeps_what_was_typed(cast: ApplicationsCast) -> None:
    """The 补正 section's upload buttons post the correction form, so nothing typed is lost."""
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]
    do_step(logged_in(cast.clerk), number, passed=True, opinion="予以受理")
    ask_for_correction(logged_in(cast.reviewer), number, "请补充功能分区")
    layout = material(cast.food, "设备设施")
    html = page(http.get(f"{MINE}{number}/"))
    assert 'id="correction-form"' in html
    assert f'name="file-{layout.pk}" form="correction-form"' in html

    typed = {**form_post({**MANUAL_FORM, "area": "135"}, "correction"), "note": "面积有误已更正"}
    html = page(
        http.post(f"{MINE}{number}/", {**typed, "upload": layout.pk, f"file-{layout.pk}": pdf()})
    )
    assert "材料已上传。" in html
    assert 'value="135"' in html and "面积有误已更正" in html
    application = Application.objects.get(number=number)
    assert application.state == "correcting" and application.form_data["area"] == 120
    assert ApplicationMaterial.objects.filter(
        application=application, material=layout, kind="upload"
    ).exists()

    # A refused upload keeps them too.
    html = page(http.post(f"{MINE}{number}/", {**typed, "upload": layout.pk}), 400)
    assert "请选择要上传的文件。" in html and 'value="135"' in html and "面积有误已更正" in html

    response = http.post(f"{MINE}{number}/", typed)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "accepted" and application.form_data["area"] == 135


def test_withdrawal(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]
    # One tap is not enough: the form asks before it withdraws.
    form = page(http.get(f"{MINE}{number}/")).split('value="withdraw"')[0].rsplit("<form", 1)[1]
    assert f'data-confirm="撤回后申请 {number} 将终止办理' in form
    response = http.post(f"{MINE}{number}/", {"action": "withdraw", "reason": "暂不经营"})
    assert response.status_code == 302
    html = page(http.get(f"{MINE}{number}/"))
    assert "申请已撤回。" in html and "暂不经营" in html and 'value="withdraw"' not in html
    html = page(http.post(f"{MINE}{number}/", {"action": "withdraw"}), 409)
    assert "该申请已经撤回。" in html


def test_an_approved_application_links_its_licence_and_is_rated(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    url = draft_url(cast, application)
    provide_materials(http, cast, url, promise=False)
    response = http.post(url, form_post(AUTOMATIC_FORM, "submit"))
    assert response.status_code == 302
    html = page(http.get(response["Location"]))
    assert "系统已自动准予（秒批）" in html
    application.refresh_from_db()
    assert application.state == "approved" and application.licence is not None
    assert f"/licences/mine/{application.licence.number}/" in html
    assert "提交评价" in html and "撤回申请" not in html

    html = page(http.post(f"{MINE}{application.number}/", {"action": "rate"}), 400)
    assert "请选择评价等级。" in html
    response = http.post(
        f"{MINE}{application.number}/",
        {"action": "rate", "level": "5", "tags": ["办事便捷", "材料精简"], "comment": "很快"},
    )
    assert response.status_code == 302
    html = page(http.get(f"{MINE}{application.number}/"))
    assert "感谢您的评价。" in html and "非常满意" in html and "办事便捷、材料精简" in html
    assert "提交评价" not in html


def test_the_applicants_notification_opens_the_application_page(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = complete_draft(http, cast, MANUAL_FORM)
    application = Application.objects.get(number=number)
    application_actions.do_submit_application(application, acting_user=cast.applicant)
    notice = Notification.objects.filter(user=cast.applicant).latest("created_at")
    assert number in notice.text
    assert http.get(notice.link).status_code == 200


def test_an_upload_keeps_what_was_typed_in_the_form(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    url = draft_url(cast, application)
    layout = material(cast.food, "设备设施")
    html = page(http.get(url))
    # The upload button belongs to the form, so the typed fields go with the file.
    assert 'id="apply-form"' in html
    assert f'form="apply-form" name="upload" value="{layout.pk}"' in html
    assert f'name="file-{layout.pk}" form="apply-form"' in html

    typed = {**MANUAL_FORM, "area": "abc"}
    post = {**form_post(typed, "upload"), "with_fields": "1", f"file-{layout.pk}": pdf()}
    post["upload"] = str(layout.pk)
    del post["action"]
    html = page(http.post(url, post))
    # The file is stored, what validates is saved, and what does not stays on the page.
    assert "材料已上传。" in html and "已上传" in html and "布局图.pdf" in html
    assert 'value="abc"' in html
    assert '<ul class="errorlist" id="e-area"><li>应为数字。</li></ul>' in html
    assert 'value="13812345678"' in html
    application.refresh_from_db()
    assert application.form_data["phone"] == "13812345678"
    assert application.form_data["business_type"] == "餐饮服务"
    assert "area" not in application.form_data
    assert ApplicationMaterial.objects.filter(application=application, material=layout).exists()

    # Typed correctly, the upload saves the form and the page reloads with it.
    post = {**form_post(MANUAL_FORM, "upload"), "with_fields": "1", f"file-{layout.pk}": pdf()}
    post["upload"] = str(layout.pk)
    del post["action"]
    response = http.post(url, post)
    assert response.status_code == 302 and response["Location"] == url
    html = page(http.get(url))
    assert 'value="120"' in html and 'value="13812345678"' in html and "材料已上传。" in html
    # The same fields posted again change nothing, so no save is recorded for them.
    saves = application.events.filter(kind="update").count()
    assert http.post(url, post | {f"file-{layout.pk}": pdf()}).status_code == 302
    assert application.events.filter(kind="update").count() == saves
    # An upload from a form without the fields leaves the saved form as it is.
    response = http.post(url, {"action": "upload", "material": layout.pk, "file": pdf()})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.form_data["area"] == 120 and application.form_data["phone"] == "13812345678"


def test_a_citizen_is_told_before_starting_what_only_enterprises_may_hold(
    cast: ApplicationsCast,
) -> None:
    refusal = "该事项的证照不向此类申请人发放。"
    http = logged_in(cast.citizen)
    guide = page(http.get(f"/services/guides/{cast.food.code}/"))
    assert refusal in guide and "可以在线办理的申请人：法人和其他组织。" in guide
    assert f'href="{APPLY}?item={cast.food.code}"' not in guide
    html = page(http.get(f"{APPLY}?item={cast.food.code}"), 403)
    assert refusal in html and "开始填写" not in html
    html = page(http.post(f"{APPLY}?item={cast.food.code}"), 403)
    assert refusal in html
    response = http.post(
        f"{URL}/", {"item_code": cast.food.code, "form_data": {}}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "applicant_kind_not_allowed"
    assert not Application.objects.filter(applicant=cast.citizen).exists()
    # The enterprise the licence is issued to sees the button.
    guide = page(logged_in(cast.applicant).get(f"/services/guides/{cast.food.code}/"))
    assert f'href="{APPLY}?item={cast.food.code}"' in guide and refusal not in guide


NOT_LINKED = "您的账号尚未关联任何企业（或企业授权已经到期），暂不能以企业名义在线申请。"


def test_an_enterprise_account_linked_to_no_enterprise_is_told_how_to_get_linked(
    cast: ApplicationsCast,
) -> None:
    from zhengtong.identity.models import EnterpriseMembership

    # 赵六's standing to act for his company is withdrawn: the account acts for none.
    EnterpriseMembership.objects.filter(user=cast.applicant).update(is_active=False)
    http = logged_in(cast.applicant)
    guide = page(http.get(f"/services/guides/{cast.food.code}/"))
    assert NOT_LINKED in guide and "请联系企业的法定代表人为您授权为经办人" in guide
    assert f'href="{APPLY}?item={cast.food.code}"' not in guide
    # Not a matter of the kind of applicant: the item does serve enterprises.
    assert "可以在线办理的申请人" not in guide
    html = page(http.get(f"{APPLY}?item={cast.food.code}"), 403)
    assert NOT_LINKED in html and "开始填写" not in html
    html = page(http.post(f"{APPLY}?item={cast.food.code}"), 403)
    assert NOT_LINKED in html and "请选择以哪家企业的名义申请" not in html
    response = http.post(
        f"{URL}/", {"item_code": cast.food.code, "form_data": {}}, content_type="application/json"
    )
    assert response.status_code == 403, response.content.decode()
    assert response.json()["code"] == "no_enterprise_linked"
    assert response.json()["message"].startswith(NOT_LINKED)
    assert not Application.objects.filter(applicant=cast.applicant).exists()


def test_a_refused_submission_names_every_field_problem_at_once(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    bad = {"business_items": "热食类食品制售", "area": "abc"}
    html = page(http.post(draft_url(cast, application), form_post(bad, "submit")), 400)
    assert '<ul class="errorlist" id="e-area"><li>应为数字。</li></ul>' in html
    assert '<ul class="errorlist" id="e-phone"><li>请填写“联系电话”。</li></ul>' in html
    assert '<ul class="errorlist" id="e-business_type"><li>请填写“经营业态”。</li></ul>' in html
    # The missing materials are named in the same answer.
    assert "请上传该材料。" in html and "请上传该材料，或作出容缺承诺。" in html
    assert 'value="abc"' in html and "热食类食品制售" in html
    application.refresh_from_db()
    assert application.state == "draft" and "area" not in application.form_data


def test_my_applications_page_shows_my_messages_and_marks_them_read(
    cast: ApplicationsCast,
) -> None:
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]
    notice = Notification.objects.filter(user=cast.applicant).latest("created_at")
    html = page(http.get(MINE))
    assert "消息" in html and notice.text in html and f'href="{notice.link}"' in html
    assert 'class="notification notification-unread"' in html and "未读" in html
    response = http.post("/services/notifications/read/", {"id": notice.pk, "next": MINE})
    assert response.status_code == 302 and response["Location"] == MINE
    notice.refresh_from_db()
    assert notice.read_at is not None
    html = page(http.get(MINE))
    assert notice.text in html and "notification-unread" not in html
    # Someone else's message cannot be marked; an outside address is not followed.
    mine = Notification.objects.filter(user=cast.applicant).count()
    other = logged_in(cast.clerk)
    response = other.post("/services/notifications/read/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and not response["Location"].startswith("https://")
    assert Notification.objects.filter(user=cast.applicant, read_at=None).count() < mine
    assert number in notice.text


def approved_online(http: Client, cast: ApplicationsCast) -> Application:
    """An application of the applicant's, approved at once (秒批) on submission from the page."""
    application = start(http, cast)
    provide_materials(http, cast, draft_url(cast, application), promise=False)
    response = http.post(draft_url(cast, application), form_post(AUTOMATIC_FORM, "submit"))
    assert response.status_code == 302
    application.refresh_from_db()
    return application


def test_messages_and_timeline_notes_are_shown_in_the_readers_language(
    cast: ApplicationsCast,
) -> None:
    """What the platform wrote is stored in Chinese and shown to an English reader in English."""
    http = logged_in(cast.applicant)
    application = approved_online(http, cast)
    assert application.licence is not None
    licence = application.licence.number
    rated = http.post(
        f"{MINE}{application.number}/", {"action": "rate", "level": "2", "comment": "等了很久"}
    )
    assert rated.status_code == 302
    stored = Notification.objects.filter(user=cast.applicant).latest("created_at").text
    assert f"已核发电子证照 {licence}。" in stored  # the platform's language, whoever reads

    chinese = page(http.get(f"{MINE}{application.number}/"))
    assert "不满意" in chinese
    assert f"已准予。已核发电子证照 {licence}。" in page(http.get(MINE))

    http.cookies["django_language"] = "en"
    english = page(http.get(MINE, HTTP_ACCEPT_LANGUAGE="en"))
    assert (
        f"Your application {application.number} ({cast.food.name}) has been approved."
        f" Electronic licence {licence} has been issued." in english
    )
    assert "已准予" not in english
    timeline = page(http.get(f"{MINE}{application.number}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "<small>Dissatisfied</small>" in timeline and "不满意" not in timeline
    api = http.get("/api/services/applications/notifications", HTTP_ACCEPT_LANGUAGE="en").json()
    assert any(f"Electronic licence {licence} has been issued." in n["text"] for n in api)
    detail = http.get(f"{URL}/{application.number}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "Dissatisfied" in [event["note"] for event in detail["timeline"]]


def test_the_steps_named_in_the_timeline_read_in_the_readers_language(
    cast: ApplicationsCast,
) -> None:
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]
    do_step(logged_in(cast.clerk), number, passed=True)  # claimed and done, no opinion
    chinese = page(http.get(f"{MINE}{number}/"))
    assert chinese.count("<small>受理</small>") == 2
    http.cookies["django_language"] = "en"
    english = page(http.get(f"{MINE}{number}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert english.count("<small>Acceptance</small>") == 2 and "<small>受理</small>" not in english


def test_a_refused_rating_keeps_what_the_applicant_wrote(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    application = start(http, cast)
    url = draft_url(cast, application)
    provide_materials(http, cast, url, promise=False)
    assert http.post(url, form_post(AUTOMATIC_FORM, "submit")).status_code == 302
    comment = "窗口人员很耐心，但网上提交时等了很久才有回应。"

    # The level forgotten: the comment and the tags chosen are still there to send again.
    html = page(
        http.post(
            f"{MINE}{application.number}/",
            {"action": "rate", "tags": ["courteous", "long_wait"], "comment": comment},
        ),
        400,
    )
    assert "请选择评价等级。" in html
    assert f">{comment}</textarea>" in html
    assert 'name="tags" value="courteous" checked' in html
    assert 'name="tags" value="long_wait" checked' in html
    assert 'name="tags" value="convenient" checked' not in html

    # A tag the list does not know: the level chosen stays chosen too.
    html = page(
        http.post(
            f"{MINE}{application.number}/",
            {"action": "rate", "level": "4", "tags": ["nonsense"], "comment": comment},
        ),
        400,
    )
    assert 'name="level" value="4" checked' in html and f">{comment}</textarea>" in html


def test_a_refused_withdrawal_keeps_its_reason(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]
    reason = "门店租约未谈妥，" * 300  # past the 2000 characters a note may have

    html = page(http.post(f"{MINE}{number}/", {"action": "withdraw", "reason": reason}), 400)

    assert "说明过长。" in html
    assert f">{reason}</textarea>" in html
    assert Application.objects.get(number=number).state == "submitted"


def test_who_acts_for_two_enterprises_starts_a_draft_for_each(cast: ApplicationsCast) -> None:
    from zhengtong.identity.models import EnterpriseMembership

    # 赵六 is also the agent of a second restaurant company.
    EnterpriseMembership.objects.create(
        user=cast.applicant, enterprise=cast.flagged, relation="agent"
    )
    http = logged_in(cast.applicant)
    first = http.post(
        f"{APPLY}?item={cast.food.code}", {"credit_code": cast.enterprise.credit_code}
    )
    assert first.status_code == 302
    mine = Application.objects.get(applicant_id_number=cast.enterprise.credit_code)

    # Back at the item: the choice of enterprise again, beside the draft to go on with.
    html = page(http.get(f"{APPLY}?item={cast.food.code}"))
    assert 'name="credit_code"' in html and cast.flagged.credit_code in html
    assert "继续填写草稿" in html and draft_url(cast, mine).replace("&", "&amp;") in html

    second = http.post(f"{APPLY}?item={cast.food.code}", {"credit_code": cast.flagged.credit_code})
    assert second.status_code == 302
    other = Application.objects.get(applicant_id_number=cast.flagged.credit_code)
    assert second["Location"] == draft_url(cast, other)
    assert other.applicant_name == cast.flagged.name

    # 开始填写 pressed twice: the enterprise's draft reopens, no third one is made.
    again = http.post(f"{APPLY}?item={cast.food.code}", {"credit_code": cast.flagged.credit_code})
    assert again.status_code == 302 and again["Location"] == draft_url(cast, other)
    assert Application.objects.filter(applicant=cast.applicant).count() == 2


def test_a_start_for_an_enterprise_written_otherwise_reopens_its_draft(
    cast: ApplicationsCast,
) -> None:
    from zhengtong.identity.models import EnterpriseMembership

    EnterpriseMembership.objects.create(
        user=cast.applicant, enterprise=cast.flagged, relation="agent"
    )
    http = logged_in(cast.applicant)
    code = cast.flagged.credit_code
    first = http.post(f"{APPLY}?item={cast.food.code}", {"credit_code": code})
    draft = Application.objects.get(applicant_id_number=code)
    assert first.status_code == 302 and first["Location"] == draft_url(cast, draft)
    # Sent again by a script in lower case with a line break after it.
    again = http.post(f"{APPLY}?item={cast.food.code}", {"credit_code": f"{code.lower()}\n"})
    assert again.status_code == 302 and again["Location"] == draft_url(cast, draft)
    assert Application.objects.filter(applicant=cast.applicant).count() == 1


def test_a_refused_promise_shows_the_date_typed(cast: ApplicationsCast) -> None:
    import datetime as dt

    from django.utils import timezone

    http = logged_in(cast.applicant)
    application = start(http, cast)
    rules = material(cast.food, "规章制度")
    too_late = (timezone.localdate() + dt.timedelta(days=200)).isoformat()

    html = page(
        http.post(
            draft_url(cast, application),
            {
                **form_post(MANUAL_FORM, ""),
                "with_fields": "1",
                "promise": str(rules.pk),
                f"promised_on-{rules.pk}": too_late,
            },
        ),
        400,
    )

    assert "承诺补交日期应在今后90天以内。" in html
    assert f'name="promised_on-{rules.pk}" form="apply-form" value="{too_late}"' in html


def test_a_bad_rating_without_a_reason_is_refused_on_the_page(
    cast: ApplicationsCast,
) -> None:
    http = logged_in(cast.applicant)
    application = approved_online(http, cast)
    refused = http.post(f"{MINE}{application.number}/", {"action": "rate", "level": "2"})
    assert refused.status_code == 400
    assert "差评请选择问题标签或填写意见，以便部门整改。" in refused.content.decode()
    assert not application.ratings.exists()
