""" "No unused imports": imported names a Python module never uses.

A deliberately small analysis with `ast`: a name counts as used when it is read anywhere
in the module (including string annotations) or listed in `__all__`. It does not follow
scopes, so it can miss an import shadowed by a local variable, but it never flags a name
that is read, which is the error that would wrongly block an attempt.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from specloop.gitops import FileChange
from specloop.verify._builtin import BlobReader, listing
from specloop.verify._result import CheckResult, CheckStatus
from specloop.verify._scope import status_letter

_EXISTING = ("A", "M", "R", "C", "T")


@dataclass(frozen=True)
class _Binding:
    name: str  # the name the import binds in the module
    line: int
    statement: str  # as written, for the message


def _bindings(tree: ast.Module) -> Iterator[_Binding]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname == alias.name:
                    continue  # `import x as x`: an explicit re-export (PEP 484)
                written = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                # `import a.b` binds `a`; `import a.b as c` binds `c`.
                yield _Binding(alias.asname or alias.name.split(".")[0], node.lineno, written)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name == "*" or alias.asname == alias.name:
                    continue
                written = f"from {module} import {alias.name}"
                written += f" as {alias.asname}" if alias.asname else ""
                yield _Binding(alias.asname or alias.name, node.lineno, written)


def _names_in(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Store):
            yield child.id


def _annotations(tree: ast.Module) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            yield node.returns


def _string_annotation_names(tree: ast.Module) -> Iterator[str]:
    # `x: "Path"` or `list["Path"]`: names under TYPE_CHECKING are often used only there.
    for annotation in _annotations(tree):
        for child in ast.walk(annotation):
            if isinstance(child, ast.Constant) and isinstance(child.value, str):
                try:
                    parsed = ast.parse(child.value.strip(), mode="eval")
                except SyntaxError:
                    continue
                yield from _names_in(parsed)


def _dunder_all(tree: ast.Module) -> Iterator[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            is_all = any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
            if is_all and isinstance(node.value, ast.List | ast.Tuple):
                for item in node.value.elts:
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        yield item.value


def unused_imports(source: str, filename: str = "<module>") -> list[tuple[int, str]]:
    """(line, message) for each import whose name the module never uses.

    Raises SyntaxError (or ValueError for NUL bytes) when the source does not parse.
    """
    tree = ast.parse(source, filename=filename)
    used = {*_names_in(tree), *_string_annotation_names(tree), *_dunder_all(tree)}
    return [
        (binding.line, f"`{binding.statement}`: {binding.name} is never used")
        for binding in _bindings(tree)
        if binding.name not in used
    ]


def check_no_unused_imports(
    changes: Sequence[FileChange], read: BlobReader, head_sha: str
) -> CheckResult:
    """Every added or modified `.py` file (except `__init__.py`, whose imports are the
    package's re-exports) parses and uses everything it imports."""
    problems: list[str] = []
    checked = 0
    for change in changes:
        pure = PurePosixPath(change.path)
        if status_letter(change) not in _EXISTING or pure.suffix != ".py":
            continue
        if pure.name == "__init__.py":
            continue
        source = read(head_sha, change.path)
        if source is None:
            problems.append(f"{change.path}: cannot be read as UTF-8 text")
            continue
        checked += 1
        try:
            found = unused_imports(source, change.path)
        except SyntaxError as exc:
            problems.append(f"{change.path}:{exc.lineno or 1}: syntax error: {exc.msg}")
            continue
        except ValueError as exc:  # NUL bytes in the source
            problems.append(f"{change.path}: cannot be parsed: {exc}")
            continue
        problems += [f"{change.path}:{line}: {message}" for line, message in found]
    if not problems:
        output = f"{checked} Python file(s) checked" if checked else "no Python files changed"
        return CheckResult("no-unused-imports", "builtin", CheckStatus.PASSED, True, output)
    output = f"{len(problems)} problem(s):\n{listing(problems)}"
    return CheckResult("no-unused-imports", "builtin", CheckStatus.FAILED, True, output)
