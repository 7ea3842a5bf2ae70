"""The hand-written `_core.pyi` must describe exactly what the extension module exports."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import tokembed
from tokembed import _core

STUB = Path(tokembed.__file__).with_name("_core.pyi")


def stub_names():
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    top, methods = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        if isinstance(node, ast.ClassDef):
            methods[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    return top, methods


def test_stub_lists_every_export_and_nothing_else():
    top, methods = stub_names()
    exported = {name for name in dir(_core) if not name.startswith("_")}
    assert top == exported
    for name, stub_methods in methods.items():
        cls = getattr(_core, name)
        if issubclass(cls, BaseException):
            continue
        public = {n for n, _ in inspect.getmembers(cls) if not n.startswith("_")}
        assert {n for n in stub_methods if not n.startswith("_")} == public, name


def test_package_ships_stub_and_marker():
    assert STUB.is_file()
    assert STUB.with_name("py.typed").is_file()
