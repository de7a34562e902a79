"""The allowed set for BPMN scripts and gateway conditions: arithmetic and comparisons over the process data.

Scripts come only from service packages (trusted authors), yet a script that can import, open files or reach
an object's internals could leak personal data or change what a decision rests on. So a script is checked
against a whitelist of syntax *before* a package is accepted (``shaffof services validate``) and again before
each run, and it runs with no builtins but the few pure functions listed here. No attribute access at all:
that closes the ``().__class__.__mro__`` escape routes of ``eval`` without a blacklist to keep up to date.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from shaffof.automation.errors import ScriptRefused

ALLOWED_FUNCTIONS: Mapping[str, Any] = {
    "abs": abs,
    "bool": bool,
    "float": float,
    "int": int,
    "len": len,
    "max": max,
    "min": min,
    "round": round,
    "str": str,
    "sum": sum,
}

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.Expression,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.IfExp,
    ast.Pass,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Call,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Subscript,
    ast.Slice,
    ast.And,
    ast.Or,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)


def check(source: str, *, mode: str = "exec") -> None:
    """Refuse (``ScriptRefused``) a script or expression outside the allowed set, naming the first offence."""
    _check_cached(source, mode)


@functools.lru_cache(maxsize=1024)
def _check_cached(source: str, mode: str) -> None:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as error:
        raise ScriptRefused(f"not valid Python: {error.msg} (line {error.lineno})") from None
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 1)
        if not isinstance(node, _ALLOWED_NODES):
            raise ScriptRefused(f"line {line}: {type(node).__name__} is not allowed in process scripts")
        if isinstance(node, ast.Name) and (node.id.startswith("_") or node.id in ("eval", "exec", "open")):
            raise ScriptRefused(f"line {line}: the name {node.id!r} is not allowed")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in ALLOWED_FUNCTIONS):
            allowed = ", ".join(ALLOWED_FUNCTIONS)
            raise ScriptRefused(f"line {line}: only these functions may be called: {allowed}")
        if isinstance(node, ast.Call) and node.keywords:
            raise ScriptRefused(f"line {line}: keyword arguments are not allowed")
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            raise ScriptRefused(f"line {line}: byte strings are not allowed")


class SandboxedEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """SpiffWorkflow's task-data environment with no builtins and every source checked before it runs."""

    def __init__(self) -> None:
        super().__init__({"__builtins__": {}, **ALLOWED_FUNCTIONS})

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        check(expression, mode="eval")
        return super().evaluate(expression, context, external_context)

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        check(script)
        return bool(super().execute(script, context, external_context))


def script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=SandboxedEnvironment())
