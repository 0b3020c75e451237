"""The restricted evaluator for gateway conditions, script tasks and DMN tables.

Process files come from people who are not programmers of this platform, so
nothing in them may run arbitrary Python. Every expression is parsed, checked
against a whitelist of syntax nodes, rewritten so that the operators that can
allocate without bound go through guarded helpers, and only then compiled and
evaluated with empty builtins. What is allowed:

* literals (str, int, float, bool, None) and list, tuple, set and dict displays;
* names of process variables (never starting with an underscore);
* subscripts and slices (``materials[0]``, ``code[:6]``);
* arithmetic ``+ - * / // %`` and ``**`` with bounded results, unary ``- + not``;
* comparisons including chains, ``in``, ``not in``, ``is``, ``is not``;
* ``and``, ``or`` and the conditional expression ``a if c else b``;
* calls of the functions in ``SAFE_FUNCTIONS`` with positional arguments.

Everything else is refused: attribute access, calls of anything else, lambdas,
comprehensions, f-strings, assignment expressions, starred arguments,
keyword arguments. Scripts are sequences of ``name = expression`` lines.
"""

import ast
import functools
import math
from collections.abc import Callable, Mapping, MutableMapping
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import (  # type: ignore[import-untyped]
    PythonScriptEngine,
)
from SpiffWorkflow.bpmn.script_engine.python_environment import (  # type: ignore[import-untyped]
    BasePythonScriptEngineEnvironment,
)

from .errors import SandboxViolation

MAX_SOURCE_LENGTH = 2000
MAX_NODES = 400
MAX_SEQUENCE_LENGTH = 10_000
MAX_INT_BITS = 4096


def _safe_round(number: float, ndigits: int | None = None) -> float:
    if ndigits is None:
        return round(number)
    return round(number, max(-64, min(64, int(ndigits))))


SAFE_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": _safe_round,
    "int": int,
    "str": str,
    "float": float,
    "bool": bool,
    "sum": sum,
}

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
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
    ast.IfExp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.Call,
)
_ALLOWED_CONSTANTS = (str, int, float, bool, type(None))


def _is_sequence(value: object) -> bool:
    return isinstance(value, str | list | tuple | bytes)


def _guarded_mul(left: Any, right: Any) -> Any:
    # "x" * 10**9 would allocate a gigabyte; repetition is bounded instead.
    if _is_sequence(left) or _is_sequence(right):
        seq, count = (left, right) if _is_sequence(left) else (right, left)
        if isinstance(count, int) and len(seq) * max(count, 0) > MAX_SEQUENCE_LENGTH:
            raise SandboxViolation("sequence repetition too large")
    return left * right


def _guarded_pow(base: Any, exponent: Any) -> Any:
    if isinstance(base, int) and isinstance(exponent, int):
        if exponent > 0 and max(abs(base).bit_length(), 1) * exponent > MAX_INT_BITS:
            raise SandboxViolation("power too large")
    elif (
        isinstance(base, int | float) and isinstance(exponent, int | float) and abs(exponent) > 1024
    ):
        raise SandboxViolation("power too large")
    result = base**exponent
    if isinstance(result, complex) or (isinstance(result, float) and math.isnan(result)):
        raise SandboxViolation("power outside the real numbers")
    return result


def _guarded_mod(left: Any, right: Any) -> Any:
    # printf-style formatting ("%*d" % (10**9, 1)) can allocate without bound.
    if isinstance(left, str | bytes):
        raise SandboxViolation("string formatting is not allowed")
    return left % right


_GUARDS: Mapping[type[ast.operator], str] = {
    ast.Mult: "_zt_mul",
    ast.Pow: "_zt_pow",
    ast.Mod: "_zt_mod",
}
_GUARD_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "_zt_mul": _guarded_mul,
    "_zt_pow": _guarded_pow,
    "_zt_mod": _guarded_mod,
}


def check_expression_tree(tree: ast.AST) -> None:
    """Raise ``SandboxViolation`` unless every node of ``tree`` is allowed."""
    for count, node in enumerate(ast.walk(tree), start=1):
        if count > MAX_NODES:
            raise SandboxViolation("expression too large")
        if not isinstance(node, _ALLOWED_NODES):
            raise SandboxViolation(f"{type(node).__name__} is not allowed")
        if isinstance(node, ast.Constant) and not isinstance(node.value, _ALLOWED_CONSTANTS):
            raise SandboxViolation(f"constant of type {type(node.value).__name__} is not allowed")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise SandboxViolation(f"name {node.id!r} is not allowed")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in SAFE_FUNCTIONS:
                raise SandboxViolation("only the listed functions may be called")
            if node.keywords:
                raise SandboxViolation("keyword arguments are not allowed")


class _GuardOperators(ast.NodeTransformer):
    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        guard = _GUARDS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(
            func=ast.Name(id=guard, ctx=ast.Load()), args=[node.left, node.right], keywords=[]
        )
        return ast.copy_location(call, node)


def _parse(source: str, mode: str) -> ast.AST:
    if len(source) > MAX_SOURCE_LENGTH:
        raise SandboxViolation("expression too long")
    return ast.parse(source.strip(), mode=mode)


@functools.lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Check and compile one expression; raise ``SyntaxError`` or ``SandboxViolation``."""
    tree = _parse(source, "eval")
    check_expression_tree(tree)
    guarded = ast.fix_missing_locations(_GuardOperators().visit(tree))
    return compile(guarded, "<process expression>", "eval")


@functools.lru_cache(maxsize=1024)
def compile_script(source: str) -> tuple[tuple[str, CodeType], ...]:
    """Check and compile a script of ``name = expression`` lines."""
    module = _parse(source, "exec")
    assert isinstance(module, ast.Module)
    steps: list[tuple[str, CodeType]] = []
    for statement in module.body:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            raise SandboxViolation("scripts may only assign expressions to names")
        name = statement.targets[0].id
        if name.startswith("_") or name in SAFE_FUNCTIONS:
            raise SandboxViolation(f"name {name!r} is not allowed")
        value = ast.Expression(body=statement.value)
        check_expression_tree(value)
        guarded = ast.fix_missing_locations(_GuardOperators().visit(value))
        steps.append((name, compile(guarded, "<process script>", "eval")))
    return tuple(steps)


def _namespace(data: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
    namespace: dict[str, Any] = dict(data)
    if external:
        namespace.update(external)
    namespace.update(SAFE_FUNCTIONS)
    namespace.update(_GUARD_FUNCTIONS)
    namespace["__builtins__"] = {}
    return namespace


def evaluate(
    source: str, data: Mapping[str, Any], external: Mapping[str, Any] | None = None
) -> Any:
    """Evaluate one checked expression against process variables."""
    code = compile_expression(source)
    return eval(code, _namespace(data, external))  # noqa: S307 - checked and builtins removed


def execute(
    source: str, data: MutableMapping[str, Any], external: Mapping[str, Any] | None = None
) -> None:
    """Run a checked script, assigning its results into ``data``."""
    for name, code in compile_script(source):
        data[name] = eval(code, _namespace(data, external))  # noqa: S307 - checked as above


class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """SpiffWorkflow's script environment, replaced by the restricted evaluator."""

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        return evaluate(expression, context, external_context)

    def execute(
        self,
        script: str,
        context: MutableMapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        execute(script, context, external_context)
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise SandboxViolation("service tasks are not supported")


class SandboxScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """The script engine every workflow of this package runs with."""

    def __init__(self) -> None:
        super().__init__(environment=SandboxEnvironment())

    def validate(self, expression: str) -> None:
        # The DMN engine calls this for every cell of every rule to learn
        # whether the cell parses on its own (otherwise it prefixes the input
        # expression); it must raise SyntaxError for that case. Failures are
        # cached too, since lru_cache only remembers successes.
        failure = _VALIDATION_FAILURES.get(expression)
        if failure is None:
            try:
                compile_expression(expression)
                return
            except (SyntaxError, SandboxViolation) as error:
                if len(_VALIDATION_FAILURES) < 4096:
                    _VALIDATION_FAILURES[expression] = (type(error), str(error))
                raise
        # A fresh exception each time, so that tracebacks do not pile up.
        kind, message = failure
        raise kind(message)


_VALIDATION_FAILURES: dict[str, tuple[type[SyntaxError | SandboxViolation], str]] = {}


SCRIPT_ENGINE = SandboxScriptEngine()
