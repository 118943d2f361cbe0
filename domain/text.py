"""Which text dom can record: the rule every context and every way in shares.

Text is refused when it holds a control character (Unicode category Cc:
U+0000-U+001F, U+007F-U+009F) or a line/paragraph separator (U+2028,
U+2029), or a lone surrogate (U+D800-U+DFFF). NUL cannot be stored in a
PostgreSQL text column and a lone surrogate cannot be encoded as UTF-8, so
either would be accepted and then break every reader of the event; the other
control characters hide in names and codes, forge lines in logs and CSV
exports, and make two look-alike values different keys.

Free text (a reason, a note) may be multi-line: tab, line feed and carriage
return are allowed there and nowhere else. Regular expressions, not a loop
over characters, because bulk requests carry tens of thousands of strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields, is_dataclass

Path = tuple[str | int, ...]

_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_problem(value: str, multiline: bool = False) -> str | None:
    """Why `value` cannot be recorded, or None when it can."""
    if _SUSPECT.search(value) is None:  # one scan for the common case
        return None
    if found := _SURROGATE.search(value):
        return f"is not valid Unicode (lone surrogate U+{ord(found.group()):04X})"
    if found := (_MULTI_LINE if multiline else _SINGLE_LINE).search(value):
        where = f"U+{ord(found.group()):04X} at position {found.start()}"
        if multiline:
            return f"must not contain control characters other than tab and newline ({where})"
        return f"must not contain control characters or line breaks ({where})"
    return None


def plain_texts(values: list[object]) -> bool:
    """True when every value is None, a string or a list of strings, with nothing to
    refuse even in single-line text: one scan for the common case, before any detail."""
    texts: list[str] = []
    for value in values:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            texts += value
        elif value is not None:
            return False
    return _SUSPECT.search("".join(texts)) is None


def text_problems(value: object, multiline: bool = False) -> Iterator[tuple[Path, str]]:
    """(path, problem) for every string inside `value` that cannot be recorded.

    Walks lists, tuples, sets, dicts (keys, which are never multi-line, and
    values) and dataclasses, with an explicit stack so that deep nesting
    cannot exhaust the call stack.
    """
    if isinstance(value, str):  # most values: no stack
        if problem := text_problem(value, multiline):
            yield (), problem
        return
    stack: list[tuple[Path, object]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if problem := text_problem(item, multiline):
                yield path, problem
        elif isinstance(item, dict):
            for key, inner in reversed(item.items()):
                if isinstance(key, str) and (problem := text_problem(key)):
                    yield path, f"a key {problem}"  # its value's path would carry the bad key
                else:
                    stack.append(((*path, key if isinstance(key, int) else str(key)), inner))
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(reversed([((*path, n), inner) for n, inner in enumerate(item)]))
        elif is_dataclass(item) and not isinstance(item, type):
            stack.extend(((*path, f.name), getattr(item, f.name)) for f in reversed(fields(item)))
