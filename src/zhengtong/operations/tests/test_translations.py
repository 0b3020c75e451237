"""Every string marked for translation has its English, and no catalogue is stale.

The test collects the marked strings afresh (as `makemessages` would) into a
copy of the package and checks that nothing in the result is untranslated or
fuzzy, so a new Chinese string without its English fails here.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

PACKAGE = Path(__file__).resolve().parents[2]
# Apps that keep their own catalogue; the rest share the package's locale/.
APPS_WITH_CATALOGUES = tuple(sorted(path.parent.name for path in PACKAGE.glob("*/locale")))


def _untranslated(po_file: Path) -> list[str]:
    found: list[str] = []
    for flag in ("--untranslated", "--only-fuzzy"):
        result = subprocess.run(
            ["msgattrib", flag, "--no-wrap", str(po_file)],
            capture_output=True,
            text=True,
            check=True,
        )
        found += [
            line.removeprefix("msgid ")
            for line in result.stdout.splitlines()
            if line.startswith("msgid ") and line != 'msgid ""'
        ]
    return found


@pytest.mark.skipif(shutil.which("msgattrib") is None, reason="needs GNU gettext")
def test_every_marked_string_has_its_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "zhengtong"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    for app in APPS_WITH_CATALOGUES:
        monkeypatch.chdir(copy / app)
        call_command(
            "makemessages", locale=["en"], no_wrap=True, ignore_patterns=["tests/*"], verbosity=0
        )
    monkeypatch.chdir(copy)
    call_command(
        "makemessages",
        locale=["en"],
        no_wrap=True,
        ignore_patterns=[*(f"{app}/*" for app in APPS_WITH_CATALOGUES), "tests/*", "*/tests/*"],
        verbosity=0,
    )
    missing = {
        str(po.relative_to(copy)): _untranslated(po)
        for po in copy.rglob("en/LC_MESSAGES/django.po")
    }
    assert {path: strings for path, strings in missing.items() if strings} == {}
