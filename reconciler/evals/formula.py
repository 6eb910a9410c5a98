"""A `multi` grader's `calculate_output`, evaluated safely: a walk over Python's `ast` that
admits only numbers, the sub-graders' names, arithmetic and a few functions (never `eval`).

`models/eval.py` calls `check` at `validate` (a formula that does not parse, uses anything
else, or names no sub-grader is an error at file:line:col); `graders.grade` calls `evaluate`
with each sub-grader's score. As OpenAI documents: `+ - * /`, `^` (power, as `**`), unary
minus, parentheses, and `min max abs floor ceil exp sqrt log`.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from functools import lru_cache

MAX_LENGTH = 1000

FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "exp": math.exp,
    "sqrt": math.sqrt,
    "log": math.log,
}
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


class FormulaError(ValueError):
    """A formula this walker refuses, or one that fails on these values (÷0, overflow)."""


def check(formula: str, names: set[str]) -> str | None:
    """Why `formula` cannot be computed from `names`, or None."""
    try:
        tree = _parse(formula)
        used = _names(tree)
    except FormulaError as error:
        return str(error)
    unknown = sorted(used - names)
    if unknown:
        known = ", ".join(sorted(names)) or "none"
        return f"calculate_output names {', '.join(unknown)}, not a grader of it (graders: {known})"
    return None


def evaluate(formula: str, values: Mapping[str, float]) -> float:
    """The value of `formula` with each name bound to `values[name]`."""
    tree = _parse(formula)
    try:
        result = _walk(tree.body, values)
    except (ArithmeticError, ValueError, TypeError) as error:
        raise FormulaError(f"calculate_output failed: {error}") from error
    if not math.isfinite(result):
        raise FormulaError("calculate_output is not a finite number")
    return result


@lru_cache(maxsize=64)
def _parse(formula: str) -> ast.Expression:
    """The checked tree of `formula` (kept: a run evaluates one formula for every item)."""
    if len(formula) > MAX_LENGTH:
        raise FormulaError(f"calculate_output is longer than {MAX_LENGTH} characters")
    try:
        # OpenAI's `^` is power: written `**`, it binds as in maths (b ^ 2 + a, 2 ^ 3 ^ 2)
        tree = ast.parse(formula.strip().replace("^", "**"), mode="eval")
    except SyntaxError as error:
        raise FormulaError(f"calculate_output does not parse: {error.msg}") from None
    for node in ast.walk(tree):
        _allowed(node)
    return tree


def _allowed(node: ast.AST) -> None:
    if isinstance(node, ast.Expression | ast.Load | ast.operator | ast.unaryop | ast.Name):
        if isinstance(node, ast.operator) and type(node) not in _BINARY:
            raise FormulaError(f"calculate_output cannot use {type(node).__name__}")
        if isinstance(node, ast.unaryop) and not isinstance(node, ast.USub | ast.UAdd):
            raise FormulaError(f"calculate_output cannot use {type(node).__name__}")
        return
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"calculate_output has a non-number {node.value!r}")
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            allowed = ", ".join(FUNCTIONS)
            raise FormulaError(f"calculate_output may only call {allowed}")
        if node.keywords or not node.args:
            raise FormulaError(f"{node.func.id}() takes numbers only, without keywords")
        return
    raise FormulaError(f"calculate_output cannot use {type(node).__name__}")


def _names(tree: ast.Expression) -> set[str]:
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls}


def _walk(node: ast.AST, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # _allowed admits numbers only
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise FormulaError(f"calculate_output names {node.id}, not a grader of it")
        return float(values[node.id])
    if isinstance(node, ast.UnaryOp):
        inner = _walk(node.operand, values)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _walk(node.left, values), _walk(node.right, values)
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, complex):
            raise FormulaError("calculate_output gave a complex number")
        return float(result)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [_walk(arg, values) for arg in node.args]
        return float(FUNCTIONS[node.func.id](*args))
    raise FormulaError(f"calculate_output cannot use {type(node).__name__}")
