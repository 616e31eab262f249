"""`make test` fails when the Chinese or Finnish catalogue has an untranslated or fuzzy entry,
or is stale (the code has strings the catalogue lacks, or the catalogue keeps dropped ones).
After changing strings: see README "Languages" (makemessages, translate, compile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.ops import catalogues

FAKE = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Datasets"
msgstr "Aineistot"

msgid "Sign in"
msgstr ""

#, fuzzy
msgid "Sign out"
msgstr "Kirjaudu"

msgid "%(count)d variant"
msgid_plural "%(count)d variants"
msgstr[0] "%(count)d versio"
msgstr[1] ""

msgctxt "month"
msgid "May"
msgstr "toukokuu"

#~ msgid "Gone"
#~ msgstr "Poissa"
"""


@pytest.fixture
def fake_catalogue(tmp_path) -> Path:
    path = tmp_path / "django.po"
    path.write_text(FAKE, encoding="utf-8")
    return path


def test_check_names_an_untranslated_entry(fake_catalogue):
    assert "untranslated: 'Sign in'" in catalogues.untranslated(fake_catalogue)


def test_check_names_a_fuzzy_entry(fake_catalogue):
    assert "fuzzy: 'Sign out'" in catalogues.untranslated(fake_catalogue)


def test_check_names_a_plural_missing_one_form(fake_catalogue):
    assert "untranslated: '%(count)d variant'" in catalogues.untranslated(fake_catalogue)


def test_check_passes_translated_and_obsolete_entries(fake_catalogue):
    problems = " ".join(catalogues.untranslated(fake_catalogue))
    assert "Datasets" not in problems and "May" not in problems and "Gone" not in problems


def test_check_names_strings_the_code_added_or_dropped(fake_catalogue):
    fresh = {(None, "Datasets"), (None, "Sign in"), (None, "Sign out"), (None, "Apply")}
    fresh |= {(None, "%(count)d variant"), ("month", "May")}
    fresh -= {(None, "Sign in")}
    assert catalogues.stale(fake_catalogue, fresh) == [
        "missing: 'Apply'",
        "no longer in the code: 'Sign in'",
    ]


@pytest.mark.parametrize("language", catalogues.CATALOGUE_LANGUAGES)
def test_catalogue_is_fully_translated(language):
    problems = catalogues.untranslated(catalogues.catalogue_path(language))
    assert not problems, f"{len(problems)} entries of {language} need translating: {problems[:20]}"


@pytest.fixture(scope="module")
def fresh_msgids():
    return catalogues.fresh_msgids()


@pytest.mark.parametrize("language", catalogues.CATALOGUE_LANGUAGES)
def test_catalogue_matches_the_strings_in_the_code(language, fresh_msgids):
    problems = catalogues.stale(catalogues.catalogue_path(language), fresh_msgids)
    assert not problems, (
        f"{language} is stale: run makemessages and translate ({len(problems)}): {problems[:20]}"
    )
