"""The shared text rule: no control characters (tab and newline only in free text),
no lone surrogates; and codes checked whole, not up to a final newline."""

from dataclasses import dataclass

import pytest

from domain.errors import InvalidCommand
from domain.fulfilment.location import check_profile
from domain.text import text_problem, text_problems
from tests.stock_builders import a_location

CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_control_character_is_refused_in_single_line_text(char):
    assert f"U+{ord(char):04X} at position 3" in (text_problem(f"abc{char}def") or "")


@pytest.mark.parametrize("char", ["\t", "\n", "\r"], ids=repr)
def test_tab_and_newline_are_allowed_only_in_multi_line_text(char):
    assert text_problem(f"first{char}second", multiline=True) is None
    assert text_problem(f"first{char}second") is not None


@pytest.mark.parametrize("char", [c for c in CONTROLS if c not in "\t\n\r"], ids=repr)
def test_other_control_characters_are_refused_in_multi_line_text(char):
    assert text_problem(f"a{char}", multiline=True) is not None


@pytest.mark.parametrize("char", ["\u2028", "\u2029"], ids=repr)
def test_unicode_line_separators_are_line_breaks(char):
    assert text_problem(f"a{char}b") is not None


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\udc80"])
def test_a_lone_surrogate_is_refused_in_any_text(text):
    assert "not valid Unicode" in (text_problem(text, multiline=True) or "")


@pytest.mark.parametrize("text", ["Ann Smith", "Zoë Ñúñez", "東京都", "👩‍👩‍👧", "a\u00a0b", ""])
def test_ordinary_text_of_any_script_is_recorded(text):
    assert text_problem(text) is None


@dataclass
class Inner:
    name: str


@dataclass
class Outer:
    inner: Inner
    tags: tuple[str, ...]
    extra: dict[str, object]


def test_problems_are_found_through_dataclasses_lists_and_dicts_with_their_paths():
    value = Outer(
        Inner("a\x00"), ("ok", "b\x1f"), {"fine": ["x", {"deep": "\x7f"}], "bad\x00key": "v"}
    )
    found = dict(text_problems(value))
    assert set(found) == {("inner", "name"), ("tags", 1), ("extra", "fine", 1, "deep"), ("extra",)}
    assert found[("extra",)].startswith("a key ")


def test_deep_nesting_does_not_exhaust_the_stack():
    value: object = "\x00"
    for _ in range(5000):
        value = [value]
    assert len(list(text_problems(value))) == 1


@pytest.mark.parametrize("code", ["WH1\n", "WH1\x00", "W H1"], ids=repr)
def test_a_location_code_is_checked_whole_not_up_to_a_final_newline(code):
    with pytest.raises(InvalidCommand) as raised:
        check_profile(a_location(code=code, name="Antwerp DC"))
    assert [p.field for p in raised.value.problems] == ["code"]
