"""The hotline's commands speak the platform's language (简体中文 by default).

Django runs a management command with the configured language active; the
commands' messages are marked for translation, while the figures and the
output file's columns keep one form for the scripts that read them.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from zhengtong.hotline.models import ClassifierVersion
from zhengtong.hotline.tests.cast import invented_examples


def _write_training_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "body", "label"])
        for e in invented_examples():
            writer.writerow([e.title, e.body, e.label])
    return path


@pytest.mark.django_db
def test_training_and_classifying_report_in_the_configured_language(tmp_path: Path) -> None:
    data = _write_training_csv(tmp_path / "train.csv")
    out = io.StringIO()
    with translation.override(settings.LANGUAGE_CODE):
        call_command("hotline_train", "--data", str(data), "--folds", "3", "--activate", stdout=out)
    text = out.getvalue()
    version = ClassifierVersion.objects.get(is_active=True)
    assert f"正在用 {data} 训练 v{version.number}" in text
    assert "交叉验证 macro-F1 " in text
    assert f"v{version.number}：{version.examples} 条样本，训练用时" in text
    assert f"v{version.number} 已启用。" in text
    # The per-class table keeps its form for scripts.
    assert "  环境保护: P " in text and " n=" in text
    assert "examples" not in text and "is now active" not in text

    messages = tmp_path / "messages.csv"
    messages.write_text("title,body\n,幼儿园违规收取补课费，家长意见很大。\n", encoding="utf-8")
    result = tmp_path / "out.csv"
    err = io.StringIO()
    with translation.override(settings.LANGUAGE_CODE):
        call_command("hotline_classify", str(messages), str(result), stderr=err)
    assert f"已用 v{version.number} 为 1 条留言分类，写入 {result}。" in err.getvalue()
    (row,) = csv.DictReader(result.open(encoding="utf-8"))
    assert set(row) == {"title", "body", "label", "confidence"}


@pytest.mark.django_db
def test_the_commands_refuse_in_the_configured_language(tmp_path: Path) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        with pytest.raises(CommandError, match="没有启用的分拨模型"):
            call_command("hotline_classify", str(tmp_path / "x.csv"), str(tmp_path / "y.csv"))
        with pytest.raises(CommandError, match="不是文件"):
            call_command("hotline_train", "--data", str(tmp_path / "missing.csv"))
        wrong = tmp_path / "wrong.csv"
        wrong.write_text("title,text\na,b\n", encoding="utf-8")
        with pytest.raises(CommandError, match=r"^wrong\.csv: CSV 文件须有 body 和 label 两列"):
            call_command("hotline_train", "--data", str(wrong))
        out = io.StringIO()
        settings_dir = tmp_path / "absent"
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(settings, "SHARED_DATA_DIR", settings_dir)
            call_command("hotline_train", "--if-none-active", stdout=out)
        assert out.getvalue().startswith("hotline: 没有找到标注留言")


def test_the_command_line_help_is_in_the_default_language(tmp_path: Path) -> None:
    # A fresh process, as an operator runs it: nothing but the settings sets the language.
    environment = {**os.environ, "ZHENGTONG_DATA_DIR": str(tmp_path)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    shown = subprocess.run(
        [sys.executable, "-m", "zhengtong.cli", "hotline_train", "--help"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=True,
    ).stdout
    assert "训练 12345 分拨模型" in shown
    assert "训练完成后立即启用新版本" in shown
