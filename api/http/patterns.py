"""The text rules of the HTTP edge as patterns, for the published JSON schemas: what a
date-time, a text field, a query value may hold, said so that any client (and the
contract tests) can check it before sending. `api.http.strictness` enforces them."""

from __future__ import annotations

import re
from typing import Any

MAX_TEXT = 1000  # a bound for every string; fields set tighter ones

# An RFC 3339 date-time written from 1970-01-02 to 2199-12-30: each lies in domain.moments'
# range whatever its offset, and a pattern can say it where JSON Schema cannot compare times.
_DAY = r"(?:0[1-9]|[12][0-9]|3[01])"
_DATE = (
    rf"(?:(?:197[1-9]|19[89][0-9]|20[0-9]{{2}}|21[0-8][0-9]|219[0-8])-(?:0[1-9]|1[0-2])-{_DAY}"
    rf"|1970-(?:01-(?:0[2-9]|[12][0-9]|3[01])|(?:0[2-9]|1[0-2])-{_DAY})"
    rf"|2199-(?:12-(?:0[1-9]|[12][0-9]|30)|(?:0[1-9]|1[01])-{_DAY}))"
)
_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
MOMENT_PATTERN = rf"^{_DATE}[Tt]{_CLOCK}:[0-5][0-9](?:\.[0-9]+)?(?:[Zz]|[+-]{_CLOCK})$"
MOMENT = re.compile(MOMENT_PATTERN)
# For the published patterns (ECMA-262 and Python alike): what str_strip_whitespace takes off
# both ends (Unicode White_Space), and what domain.text refuses in single- and multi-line text.
_BLANK = r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROL = {
    False: r"\u0000-\u001f\u007f-\u009f\u2028\u2029",
    True: r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f",
}
# Any text a query value or path parameter may hold (strict_route: taken as sent).
PARAMETER_PATTERN = f"^[^{_CONTROL[False]}]*$"


def text_pattern(
    min_length: int, max_length: int, multi_line: bool = False, excluded: str = ""
) -> str:
    """The strings a text field of a body takes, as a pattern: blanks at either end (stripped),
    then, with `min_length` to `max_length` characters, text that neither begins nor ends with
    a blank and holds no character domain.text refuses (nor any of `excluded`)."""
    refused = _CONTROL[multi_line] + re.escape(excluded)
    blank, edge, inner = f"[{_BLANK}]", f"[^{refused}{_BLANK}]", f"[^{refused}]"
    cores = [f"{edge}{inner}{{{max(min_length, 2) - 2},{max_length - 2}}}{edge}"] * (
        max_length >= 2
    )
    cores += [edge] * (min_length <= 1 <= max_length)
    optional = "?" if min_length == 0 else ""
    return f"^{blank}*(?:{'|'.join(cores)}){optional}{blank}*$"


def visible_class(excluded: str = "") -> str:
    """A character class: what single-line text may hold but a blank, nor any of `excluded`."""
    return f"[^{_CONTROL[False]}{_BLANK}{re.escape(excluded)}]"


def describe_text(node: dict[str, Any], multi_line: bool) -> None:
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for option in node.get(key, []):
            describe_text(option, multi_line)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            describe_text(node[key], multi_line)
    if isinstance(node.get("propertyNames"), dict):  # keys are stripped, and single-line
        node["propertyNames"] = {"type": "string"} | node["propertyNames"]
        describe_text(node["propertyNames"], False)
    if node.get("type") != "string" or {"enum", "const", "format"} & node.keys():
        return
    pattern: str | None = node.get("pattern")
    if pattern is None:
        low, high = node.pop("minLength", 0), node.pop("maxLength", MAX_TEXT)
        node["pattern"] = text_pattern(low, high, multi_line)
    elif pattern.startswith(f"^[{_BLANK}]*"):
        node.pop("maxLength", None)  # a text_pattern: it bounds the length
    elif pattern.startswith("^") and pattern.endswith("$"):
        node["pattern"] = f"^[{_BLANK}]*(?:{pattern[1:-1]})[{_BLANK}]*$"
        node.pop("maxLength", None)  # counted after stripping: the pattern bounds it
