"""Study configuration: command-line values typed by the schema, and short validation errors.

Snakemake parses ``--config key=value`` with YAML's base loader, so nested values arrive as
strings (``--config "radiomics={batch_size: 5}"`` gives ``'5'``). :func:`coerce` reads such a
string as YAML where the schema wants something else than a string. :func:`check` then reports
every problem in one line each (key, value, what is allowed) instead of jsonschema's dump of the
whole schema, with a suggestion for a misspelt key.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from radiodeep.errors import RadiodeepError


def load_schema(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def _types(schema: dict) -> set[str]:
    t = schema.get("type")
    types = set(t if isinstance(t, list) else [t] if t else [])
    for alt in schema.get("oneOf", []) + schema.get("anyOf", []):
        types |= _types(alt)
        if "enum" in alt and all(isinstance(v, str) for v in alt["enum"]):
            types.add("string-enum")
    return types


def _coerce_value(value, schema: dict):
    if isinstance(value, str):
        types = _types(schema)
        if "string" in types and "enum" not in schema and "string-enum" not in types:
            return value
        if "enum" in schema and value in schema["enum"]:
            return value
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
        if isinstance(parsed, str) and parsed == value:
            return value
        return _coerce_value(parsed, schema)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for alt in schema.get("oneOf", []) + schema.get("anyOf", []):
            props = {**alt.get("properties", {}), **props}
        return {k: _coerce_value(v, props.get(k, {})) for k, v in value.items()}
    if isinstance(value, list):
        items = schema.get("items", {})
        for alt in schema.get("oneOf", []) + schema.get("anyOf", []):
            items = items or alt.get("items", {})
        return [_coerce_value(v, items) for v in value]
    return value


def coerce(config: dict, schema: dict) -> dict:
    """``config`` with string values read as YAML where ``schema`` does not take them as strings.

    Example:
        >>> s = {"properties": {"preprocess": {"type": "object", "properties": {"spacing": {"type": ["array", "null"], "items": {"type": "number"}}}}}}
        >>> coerce({"preprocess": {"spacing": ["1", "1", "2.5"]}}, s)
        {'preprocess': {'spacing': [1, 1, 2.5]}}
    """
    return _coerce_value(config, schema)


def _describe(error) -> str:
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        hints = []
        for k in extra:
            close = difflib.get_close_matches(k, allowed, n=1)
            hints.append(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        where = f"in '{key}'" if error.absolute_path else "at the top level"
        return f"unknown key {', '.join(hints)} {where}; known keys: {', '.join(allowed)}"
    if error.validator in ("oneOf", "anyOf"):
        desc = error.schema.get("description")
        return f"'{key}': {error.instance!r} is none of the allowed forms" + (f" ({desc})" if desc else "")
    return f"'{key}': {error.message}"


def check(config: dict, schema: dict) -> None:
    """Raise RadiodeepError listing every schema violation of ``config``, one line each."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n  ".join(_describe(e) for e in errors)
        raise RadiodeepError(f"config: {len(errors)} problem(s) (see workflow/schemas/config.schema.yaml):\n  {lines}")


def schema_defaults(schema: dict, prefix: str = "") -> dict[str, object]:
    """Every leaf default of ``schema`` keyed by its dotted path (``preprocess.spacing``)."""
    out = {}
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        if sub.get("type") == "object" and "properties" in sub:
            out.update(schema_defaults(sub, path + "."))
        elif "default" in sub:
            out[path] = sub["default"]
    return out
