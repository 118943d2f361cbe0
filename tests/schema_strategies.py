"""Hypothesis strategies from a JSON schema: documents the schema says are valid.

Covers what pydantic emits for our request and rule-set models: $ref,
const, enum, anyOf / oneOf, objects (properties, required, pattern or
additional properties, property names, sizes), arrays, strings (pattern,
lengths), numbers, integers, null. An object's `anyOf` of constraints (for
example "include or exclude, non-empty") is met by picking one branch and
merging it in. Sizes are kept small: the point is variety, not volume.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

MOST_ITEMS = 3


def from_schema(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    root = root if root is not None else schema
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return st.deferred(lambda: from_schema(root["$defs"][name], root))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if schema.get("type") == "object" and "anyOf" in schema:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return st.sampled_from(schema["anyOf"]).flatmap(
            lambda branch: from_schema(_merged(rest, branch), root)
        )
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return st.one_of([from_schema(option, root) for option in options])
    return _typed(schema, root)


def _typed(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "object":
        return _object(schema, root)
    if kind == "array":
        most = min(schema.get("maxItems", MOST_ITEMS), MOST_ITEMS)
        least = schema.get("minItems", 0)
        return st.lists(
            from_schema(schema["items"], root), min_size=least, max_size=max(most, least)
        )
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
    if kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        return st.floats(low, schema.get("maximum"), allow_nan=False, allow_infinity=False,
                         exclude_min="exclusiveMinimum" in schema)  # fmt: skip
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    raise NotImplementedError(f"no strategy for {schema}")


def _string(schema: dict[str, Any]) -> Any:
    least, most = schema.get("minLength", 0), schema.get("maxLength", 20)
    if "pattern" not in schema:
        return st.text(min_size=least, max_size=min(most, 20))
    found = st.from_regex(schema["pattern"], fullmatch=True)
    return found.filter(lambda text: least <= len(text) <= most)


def _object(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    properties = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", ()))
        fixed = {k: from_schema(v, root) for k, v in properties.items() if k in required}
        optional = {k: from_schema(v, root) for k, v in properties.items() if k not in required}
        return st.fixed_dictionaries(fixed, optional=optional)
    patterns = schema.get("patternProperties", {})
    if patterns:
        [(pattern, values)] = patterns.items()
        keys = _string({"type": "string", "pattern": pattern})
    else:
        values = schema.get("additionalProperties", {})
        keys = from_schema(schema.get("propertyNames", {"type": "string"}), root)
    least = schema.get("minProperties", 0)
    most = max(min(schema.get("maxProperties", MOST_ITEMS), MOST_ITEMS), least)
    return st.dictionaries(keys, from_schema(values, root), min_size=least, max_size=most)


def _merged(base: dict[str, Any], branch: dict[str, Any]) -> dict[str, Any]:
    """`base` with `branch`'s required keys and property constraints added."""
    merged = dict(base, required=sorted({*base.get("required", ()), *branch.get("required", ())}))
    properties = dict(base.get("properties", {}))
    for key, extra in branch.get("properties", {}).items():
        properties[key] = _narrowed(properties.get(key, {}), extra)
    merged["properties"] = properties
    return merged


def _narrowed(schema: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The options of `schema` of `extra`'s type, with `extra`'s constraints."""
    options = schema.get("anyOf", [schema])
    kept = [dict(option, **extra) for option in options if option.get("type") == extra["type"]]
    return kept[0] if len(kept) == 1 else {"anyOf": kept}
