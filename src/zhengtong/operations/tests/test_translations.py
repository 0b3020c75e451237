"""Every string marked for translation has its English, and no catalogue is stale.

The test collects the marked strings afresh (as `makemessages` would) into a
copy of the package and checks that nothing in the result is untranslated or
fuzzy, so a new Chinese string without its English fails here.
"""

import gettext
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


def _compiled(mo_file: Path) -> dict[str, str]:
    with mo_file.open("rb") as handle:
        catalog: dict[str, str] = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    return {key: value for key, value in catalog.items() if key}


def test_no_app_translation_is_hidden_by_the_package_catalogue() -> None:
    """The package's locale/ comes first (LOCALE_PATHS): for the same Chinese, its English wins.

    Where an app means something else by the same words (撤销 a grant is
    "Revocation", 撤销 an inspection task "Cancel task"), the app's string
    needs a context, or its English never shows.
    """
    package = _compiled(PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.mo")
    hidden = {
        (app, key.replace("\x04", " | ")): (english, package[key])
        for app in APPS_WITH_CATALOGUES
        for key, english in _compiled(PACKAGE / app / "locale/en/LC_MESSAGES/django.mo").items()
        if key in package and package[key] != english
    }
    assert hidden == {}
