"""Stored texts: written in the platform's language, shown in the reader's."""

from django.utils import translation
from django.utils.translation import gettext_noop, pgettext_lazy

from zhengtong.core.i18n import message_of, shown_text, stored_label, stored_text
from zhengtong.eservices.models import RatingLevel


def test_a_stored_text_is_chinese_and_reads_in_english_with_its_values() -> None:
    with translation.override("en"):  # the writer's language does not matter
        note = stored_text(gettext_noop("已核发电子证照 %(number)s。"), number="X-1")
        text = stored_text(
            gettext_noop("您的申请 %(number)s（%(item)s）已准予。%(note)s"),
            number="A1",
            item="食品经营许可",
            note=note,
        )
    assert text == "您的申请 A1（食品经营许可）已准予。已核发电子证照 X-1。"
    record = message_of(text)
    assert record is not None
    with translation.override("en"):
        shown = shown_text(text, record)
    assert shown == (
        "Your application A1 (食品经营许可) has been approved."
        " Electronic licence X-1 has been issued."
    )
    with translation.override("zh-hans"):
        assert shown_text(text, record) == text


def test_labels_plain_texts_and_records_that_no_longer_fit() -> None:
    label = stored_label(RatingLevel.DISSATISFIED.label)
    assert label == "不满意"
    with translation.override("en"):
        assert shown_text(label, message_of(label)) == "Dissatisfied"
        # A text staff typed has no record and stays as written.
        assert message_of("经营场所面积与平面图不符") is None
        assert shown_text("经营场所面积与平面图不符", None) == "经营场所面积与平面图不符"
        # A record whose message wants a value it does not hold shows the stored text.
        broken = {"id": "您的申请 %(number)s 已提交，等待受理。", "values": {}}
        assert shown_text("stored", broken) == "stored"
    # A label with a context cannot be looked up by its id alone: kept as text.
    contextual = stored_label(pgettext_lazy("zhengtong test", "满意"))
    assert message_of(contextual) is None
