import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def test_it_writes_the_openapi_document_with_every_app_router(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    call_command("export_openapi", str(target))
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"].startswith("Zhengtong")


def test_its_check_passes_on_a_current_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    call_command("export_openapi", str(target))
    call_command("export_openapi", str(target), "--check")


def test_its_check_fails_when_the_document_drifted(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    call_command("export_openapi", str(target))
    target.write_text(target.read_text(encoding="utf-8").replace("Zhengtong", "Other"))
    with pytest.raises(CommandError, match="out of date"):
        call_command("export_openapi", str(target), "--check")


def test_the_committed_document_is_current() -> None:
    committed = Path(__file__).resolve().parents[4] / "docs" / "api" / "openapi.json"
    call_command("export_openapi", str(committed), "--check")
