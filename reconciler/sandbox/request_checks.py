"""Validation helpers for inference request bodies, phrased like the real API's 400 answers.

The endpoint modules (`responses_api`, `chat_api`, `embeddings`, `moderation`) call these on
optional parameters after `http.check_params` has rejected unknown and missing ones; the first
problem found raises `http.APIError` naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .http import APIError, check_metadata, check_range, check_type, invalid

Obj = dict[str, Any]
_TYPE_NAMES = {str: "a string", bool: "a boolean", list: "an array", dict: "an object"}


def optional_number(
    body: Mapping[str, Any],
    key: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if integer:
        check_type(value, int, key)
        check_range(value, key, minimum=minimum, maximum=maximum)
    else:
        check_decimal(value, key, minimum=minimum, maximum=maximum)
    return float(value)


def check_decimal(
    value: Any, param: str, *, minimum: float | None = None, maximum: float | None = None
) -> None:
    """A number parameter, worded as the real API words them ("decimal")."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        got = "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)
        raise invalid(
            f"Invalid type for '{param}': expected a decimal, but got {got} instead.",
            param=param,
            code="invalid_type",
        )
    if minimum is not None and value < minimum:
        raise _decimal_out_of_range(param, value, "below minimum", f">= {minimum:g}", "below_min")
    if maximum is not None and value > maximum:
        raise _decimal_out_of_range(param, value, "above maximum", f"<= {maximum:g}", "above_max")


def _decimal_out_of_range(
    param: str, value: float, where: str, expected: str, code: str
) -> APIError:
    return invalid(
        f"Invalid '{param}': decimal {where} value. Expected a value {expected}, but got "
        f"{value} instead.",
        param=param,
        code=f"decimal_{code}_value",
    )


def optional_int(
    body: Mapping[str, Any], key: str, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    value = optional_number(body, key, minimum=minimum, maximum=maximum, integer=True)
    return None if value is None else int(value)


def optional_bool(body: Mapping[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None:
        check_type(value, bool, key)
    return value


def optional_str(body: Mapping[str, Any], key: str, *, max_length: int | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    check_type(value, str, key)
    if max_length is not None and len(value) > max_length:
        raise invalid(
            f"Invalid '{key}': string too long. Expected a string with maximum length "
            f"{max_length}, but got a string with length {len(value)} instead.",
            param=key,
            code="string_above_max_length",
        )
    return str(value)


def one_of(value: Any, allowed: Sequence[str], param: str) -> str:
    """An enum value, or the real API's 'Invalid value ... Supported values are ...' error."""
    if value in allowed:
        return str(value)
    raise invalid(
        f"Invalid value: '{value}'. Supported values are: {quoted_list(allowed)}.",
        param=param,
        code="invalid_value",
    )


def optional_enum(body: Mapping[str, Any], key: str, allowed: Sequence[str]) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    check_type(value, str, key)
    return one_of(value, allowed, key)


def metadata_of(body: Mapping[str, Any]) -> Obj:
    metadata = body.get("metadata")
    check_metadata(metadata)
    return dict(metadata or {})


def non_empty_list(value: Any, param: str) -> list[Any]:
    check_type(value, list, param)
    if not value:
        raise invalid(
            f"Invalid '{param}': empty array. Expected an array with minimum length 1, but got "
            "an empty array instead.",
            param=param,
            code="empty_array",
        )
    return list(value)


def required_key(obj: Mapping[str, Any], key: str, param: str) -> Any:
    if obj.get(key) is None:
        raise invalid(
            f"Missing required parameter: '{param}.{key}'.",
            param=f"{param}.{key}",
            code="missing_required_parameter",
        )
    return obj[key]


def quoted_list(values: Sequence[str]) -> str:
    """'a' | 'a' and 'b' | 'a', 'b', and 'c' (the real API's wording)."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
