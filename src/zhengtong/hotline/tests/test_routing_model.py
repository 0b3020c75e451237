"""The routing classifier as a module, and the two commands that train and apply it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from sklearn.feature_extraction.text import TfidfVectorizer

from zhengtong.hotline.models import ClassifierVersion
from zhengtong.hotline.routing_model import (
    CharNgramTfidf,
    Example,
    ModelFileError,
    TrainingDataError,
    cross_validate,
    load_model,
    message_text,
    near_duplicate_groups,
    read_examples_csv,
    sha256_of,
    train_model,
)
from zhengtong.hotline.tests.cast import TOPICS, invented_examples


def test_the_features_are_scikit_learns_char_tfidf() -> None:
    texts = [message_text(e.title, e.body) for e in invented_examples()]
    ours = CharNgramTfidf().fit(texts[::2], min_df=2, max_df=0.9)
    reference = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_df=0.9
    ).fit(texts[::2])
    assert sorted(ours.ngrams()) == sorted(reference.vocabulary_)
    # The same values, column for column, for texts the vectorizers did not see.
    order = [reference.vocabulary_[ngram] for ngram in ours.ngrams()]
    ours_matrix = ours.transform(texts[1::2]).toarray()
    reference_matrix = reference.transform(texts[1::2]).toarray()[:, order]
    assert np.allclose(ours_matrix, reference_matrix, atol=1e-5)


def test_empty_and_unknown_texts_give_empty_rows() -> None:
    vectorizer = CharNgramTfidf().fit(["化工厂排放废气", "化工厂偷排污水"], min_df=1)
    matrix = vectorizer.transform(["", "ＸＹＺ"])
    assert matrix.shape[0] == 2
    assert matrix.nnz == 0


def test_the_model_predicts_the_category_of_an_unseen_message_with_calibrated_confidence() -> None:
    model = train_model(invented_examples())
    prediction = model.predict_one("", "我家附近的养殖场排放刺鼻废气，臭味很大。")
    assert prediction.label == "环境保护"
    assert 0.0 < prediction.confidence <= 1.0
    assert [label for label, _p in prediction.alternatives] != ["环境保护"]
    total = prediction.confidence + sum(p for _l, p in prediction.alternatives)
    assert total <= 1.0 + 1e-6


def test_training_refuses_data_it_cannot_learn_from() -> None:
    with pytest.raises(TrainingDataError, match="at least two labels"):
        train_model([Example("", "内容", "环境保护")] * 10)
    scarce = [*invented_examples(), Example("", "只有一条", "新类别")]
    with pytest.raises(TrainingDataError, match="新类别"):
        train_model(scarce)
    with pytest.raises(TrainingDataError, match="row 2: the label is empty"):
        train_model([Example("", "内容", "a"), Example("", "内容", "")])


def test_cross_validation_keeps_near_duplicates_in_one_fold() -> None:
    texts = [
        "小区物业乱收费问题严重请处理" * 3,
        "小区物业乱收费问题严重请处理" * 3 + "！",
        "学校收费",
    ]
    groups = near_duplicate_groups(texts)
    assert groups[0] == groups[1] != groups[2]
    report = cross_validate(invented_examples(), folds=3)
    assert len(report.macro_f1_folds) == 3
    assert sorted(report.labels) == sorted(TOPICS)
    assert sum(map(sum, report.confusion)) == len(invented_examples())


def test_a_model_file_is_loaded_only_with_its_digest(tmp_path: Path) -> None:
    model = train_model(invented_examples())
    payload = model.dumps()
    path = tmp_path / "model.pickle"
    path.write_bytes(payload)
    assert load_model(path, sha256_of(payload)).labels == model.labels
    path.write_bytes(payload + b"tampered")
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_model(path, sha256_of(payload))


def test_csv_needs_body_and_label_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("title,text\na,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        read_examples_csv(path, require_label=True)


def _write_csv(path: Path, examples: list[Example], *, labels: bool = True) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "body", "label"] if labels else ["title", "body"])
        for e in examples:
            writer.writerow([e.title, e.body, e.label] if labels else [e.title, e.body])


@pytest.mark.django_db
def test_the_commands_train_a_version_and_classify_a_csv(tmp_path: Path) -> None:
    training = tmp_path / "train.csv"
    _write_csv(training, invented_examples())
    out = io.StringIO()
    call_command("hotline_train", "--data", str(training), "--folds", "3", "--activate", stdout=out)
    assert "macro-F1" in out.getvalue()
    version = ClassifierVersion.objects.get(is_active=True)
    assert version.report["folds"] == 3
    assert version.examples == len(invented_examples())

    messages = tmp_path / "messages.csv"
    _write_csv(
        messages,
        [
            Example("", "幼儿园违规收取补课费，家长意见很大。"),
            Example("超市缺斤少两", "农贸市场的商贩缺斤少两，欺骗顾客。"),
        ],
        labels=False,
    )
    result = tmp_path / "out.csv"
    call_command("hotline_classify", str(messages), str(result), stderr=io.StringIO())
    rows = list(csv.DictReader(result.open(encoding="utf-8")))
    assert [r["label"] for r in rows] == ["教育文体", "商贸旅游"]
    assert all(0 < float(r["confidence"]) <= 1 for r in rows)

    # A file that carries its own labels keeps them beside the prediction.
    labelled = tmp_path / "labelled.csv"
    _write_csv(labelled, [Example("", "幼儿园违规收取补课费，家长意见很大。", "人工标注")])
    call_command("hotline_classify", str(labelled), str(result), stderr=io.StringIO())
    (row,) = csv.DictReader(result.open(encoding="utf-8"))
    assert (row["label_input"], row["label"]) == ("人工标注", "教育文体")


@pytest.mark.django_db
def test_the_commands_explain_what_is_missing(tmp_path: Path, settings: Any) -> None:
    # No shared data directory: the message names the variable that sets it.
    settings.SHARED_DATA_DIR = tmp_path / "absent"
    with pytest.raises(CommandError, match=r"（ZHENGTONG_SHARED_DATA）"):
        call_command("hotline_train")
    with pytest.raises(CommandError, match="没有启用的分拨模型"):
        call_command("hotline_classify", str(tmp_path / "x.csv"), str(tmp_path / "y.csv"))
    with pytest.raises(CommandError, match="不是文件"):
        call_command("hotline_train", "--data", str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("title,body,label\n,只有一条,环境保护\n", encoding="utf-8")
    with pytest.raises(CommandError, match="训练失败"):
        call_command("hotline_train", "--data", str(bad), "--no-corrections", stdout=io.StringIO())
    assert ClassifierVersion.objects.get().state == "failed"
