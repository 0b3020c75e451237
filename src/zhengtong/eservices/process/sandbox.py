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
#: The largest value a script may store or an expression may return, counted
#: as characters of text plus one per item and per 64 bits of an integer,
#: through every reference (so ``a = [a, a]`` repeated is counted in full).
MAX_VALUE_SIZE = 1_000_000


def _size(value: Any, budget: int) -> int:
    """Return the size of ``value``, or raise ``SandboxViolation`` once it exceeds ``budget``."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 1
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            total += 1
        elif isinstance(item, int):
            # Integers over 4,300 digits cannot even be written out as JSON
            # (Python's limit), so the stored state could no longer be saved.
            if item.bit_length() > MAX_INT_BITS * 2:
                raise SandboxViolation("integer too large")
            total += item.bit_length() // 64 + 1
        elif isinstance(item, list | tuple | set | frozenset):
            total += 1
            stack.extend(item)
        elif isinstance(item, dict):
            total += 1
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 1
        if total > budget:
            raise SandboxViolation("value too large")
    return total


def _check_result(value: Any) -> Any:
    # Values built across script lines can double in size with each line
    # (``a = a + a``, ``a = a * a``, ``a = [a, a]``) and every later step
    # copies, compares and serializes them; bound them where they are made.
    _size(value, MAX_VALUE_SIZE)
    return value


def _safe_round(number: float, ndigits: int | None = None) -> float:
    if ndigits is None:
        return round(number)
    return round(number, max(-64, min(64, int(ndigits))))


def _safe_str(*args: Any) -> str:
    # The text of a container repeats its items' text for every reference:
    # str([["x" * 9999] * 1000] * 1000) would be ten gigabytes.
    if len(args) == 1:
        _size(args[0], MAX_VALUE_SIZE)
    return str(*args)


def _safe_sum(values: Any, start: Any = 0) -> Any:
    # Summing lists (sum(lists, [])) copies the running result at every step,
    # quadratic in time; only numbers may be summed.
    items = list(values)
    for item in (start, *items):
        if not isinstance(item, int | float):
            raise SandboxViolation("only numbers may be summed")
    return sum(items, start)


SAFE_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": _safe_round,
    "int": int,
    "str": _safe_str,
    "float": float,
    "bool": bool,
    "sum": _safe_sum,
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
    # "x" * 10**9 would allocate a gigabyte; repetition is bounded instead,
    # counting the items inside the repeated ones: [["x"] * 100] * 100 holds
    # ten thousand texts however short the outer list looks.
    if _is_sequence(left) or _is_sequence(right):
        seq, count = (left, right) if _is_sequence(left) else (right, left)
        if isinstance(count, int) and count > 0:
            if len(seq) * count > MAX_SEQUENCE_LENGTH:
                raise SandboxViolation("sequence repetition too large")
            if (
                not isinstance(seq, str | bytes)
                and (_size(seq, MAX_SEQUENCE_LENGTH) - 1) * count > MAX_SEQUENCE_LENGTH
            ):
                raise SandboxViolation("sequence repetition too large")
    elif (
        isinstance(left, int)
        and isinstance(right, int)
        and left.bit_length() + right.bit_length() > MAX_INT_BITS * 2
    ):
        # a = a * a on every line of a script doubles the digits each time.
        raise SandboxViolation("product too large")
    return left * right


def _guarded_add(left: Any, right: Any) -> Any:
    # a = a + a on every line of a script doubles the text each time.
    if _is_sequence(left) and _is_sequence(right) and len(left) + len(right) > MAX_VALUE_SIZE:
        raise SandboxViolation("concatenation too large")
    return left + right


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
    ast.Add: "_zt_add",
    ast.Mult: "_zt_mul",
    ast.Pow: "_zt_pow",
    ast.Mod: "_zt_mod",
}
_GUARD_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "_zt_add": _guarded_add,
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
    namespace = _namespace(data, external)
    return _check_result(eval(code, namespace))  # noqa: S307 - checked and builtins removed


def execute(
    source: str, data: MutableMapping[str, Any], external: Mapping[str, Any] | None = None
) -> None:
    """Run a checked script, assigning its results into ``data``."""
    for name, code in compile_script(source):
        value = eval(code, _namespace(data, external))  # noqa: S307 - checked as above
        data[name] = _check_result(value)


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
