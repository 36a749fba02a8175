"""names.py: the cleaning of typed names and the folding they are compared in."""

from __future__ import annotations

import pytest

from parlour.names import MAX_CHARS, clean, fold


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Zoë", "zoe"),
        ("ÅSA", "åsa"),
        ("Åsa", "a\u030asa"),  # precomposed and combining ring
        ("José María", "JOSE MARIA"),
        ("Straße", "STRASSE"),
        ("\ufb01ona", "Fiona"),  # the "fi" ligature, an NFKC compatibility form
        ("\uff27\uff52\uff41\uff4e\uff44\uff4d\uff41", "grandma"),  # fullwidth "Grandma"
        ("\u0130lker", "ilker"),  # capital I with a dot above
        ("Ada  Lovelace", "ada lovelace"),
        ("  Ada\tLovelace\n", "Ada Lovelace"),
        ("Ada\u00a0Lovelace", "Ada Lovelace"),  # no-break space
        ("Ada\u3000Lovelace", "Ada Lovelace"),  # ideographic space
    ],
)
def test_fold_ignores_case_accents_compatibility_forms_and_spacing(one: str, other: str) -> None:
    assert fold(one) == fold(other)


@pytest.mark.parametrize(
    ("one", "other"), [("Ada", "Adam"), ("Ana", "Anna"), ("Ada Lovelace", "AdaLovelace")]
)
def test_fold_keeps_different_names_apart(one: str, other: str) -> None:
    assert fold(one) != fold(other)


def test_fold_gives_plain_lower_case_text() -> None:
    assert fold("  Zoë   ÅSA ") == "zoe asa"
    assert fold("") == ""


@pytest.mark.parametrize("name", ["Zoë", "ÅSA", "Straße", "\u0130lker", "\ufb01", "Ǆ", "ΐ"])
def test_folding_twice_changes_nothing(name: str) -> None:
    assert fold(fold(name)) == fold(name)


def test_clean_keeps_a_name_as_typed_apart_from_spacing() -> None:
    assert clean("  Zoë   Smith ") == "Zoë Smith"
    assert clean("ÅSA") == "ÅSA"


def test_clean_drops_control_characters() -> None:
    assert clean("A\x00d\x07a\x1b[31m") == "Ada[31m"
    assert clean("Ada\x7f\x85Lovelace") == "Ada Lovelace"  # DEL dropped, NEL is a space


def test_white_space_controls_become_spaces_not_nothing() -> None:
    assert clean("Ada\tLovelace") == "Ada Lovelace"
    assert clean("Ada\r\n\r\nLovelace\n") == "Ada Lovelace"


@pytest.mark.parametrize(
    "control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069", "\u200e"]
)
def test_clean_drops_bidi_controls(control: str) -> None:
    """A right-to-left override would make "Ada" shown as something else on the host's page."""
    assert clean(f"{control}Ada{control}\u200f") == "Ada"


def test_clean_cuts_to_the_limit_without_a_trailing_space() -> None:
    assert clean("x" * 100) == "x" * MAX_CHARS
    assert MAX_CHARS == 64
    assert clean("a" * 63 + " b") == "a" * 63
    assert clean("Ada Lovelace", limit=5) == "Ada L"


def test_clean_counts_after_removing_controls() -> None:
    assert clean("\u202e" * 100 + "Ada") == "Ada"
    assert clean("\x00" * 64 + "x" * 64) == "x" * 64


def test_a_name_of_only_controls_and_spaces_is_empty() -> None:
    assert clean(" \t\u202e\x00 ") == ""
