"""The installed ``_native.pyi`` stub: IDE hovers and type checkers read it, not the native module.

The stub must document the core API, agree with the runtime docstrings, and mark the classes
that cannot be subclassed ``@final``.
"""

from __future__ import annotations

import ast
import importlib.resources
import inspect
import re
from typing import Union

import clearline
import clearline._native
import pytest
from clearline.testing import Sandbox

StubNode = Union[ast.ClassDef, ast.FunctionDef]

# The core API whose stub entries must carry a docstring.
DOCUMENTED = [
    "SendReceipt",
    "SendReceipt.__init__",
    "SendReceipt.message_id",
    "SendReceipt.phone",
    "SendReceipt.segments",
    "SendReceipt.encoding",
    "SendReceipt.attempts",
    "DeliveryReport",
    "DeliveryReport.__init__",
    "DeliveryReport.message_id",
    "DeliveryReport.status",
    "DeliveryReport.raw_status",
    "DeliveryReport.external_status",
    "DeliveryReport.reason",
    "DeliveryReport.is_delivered",
    "DeliveryReport.is_failed",
    "parse_callback",
    *(
        f"{cls}.{member}" if member else cls
        for cls in ("Client", "AsyncClient")
        for member in ("", "base_url", "send", "send_many", "close")
    ),
    "Client.__enter__",
    "Client.__exit__",
    "AsyncClient.__aenter__",
    "AsyncClient.__aexit__",
    "Fault",
    "Sandbox",
]


def stub_nodes() -> dict[str, StubNode]:
    """Return every class, function and method of the installed stub by dotted name."""
    source = importlib.resources.files("clearline").joinpath("_native.pyi").read_text("utf-8")
    nodes: dict[str, StubNode] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            nodes[node.name] = node
        elif isinstance(node, ast.ClassDef):
            nodes[node.name] = node
            for member in node.body:
                if isinstance(member, ast.FunctionDef):
                    nodes[f"{node.name}.{member.name}"] = member
    return nodes


def summary(doc: str) -> str:
    """Return a docstring's first paragraph on one line, with reST ``literals`` as `literals`."""
    first_paragraph = inspect.cleandoc(doc).split("\n\n")[0]
    return " ".join(first_paragraph.split()).replace("``", "`")


def runtime_object(dotted: str) -> object:
    target: object = clearline._native
    for part in dotted.split("."):
        target = inspect.getattr_static(target, part)
    return target


def is_final_decorated(node: ast.ClassDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "final" for d in node.decorator_list)


@pytest.mark.parametrize("name", DOCUMENTED)
def test_stub_documents_core_api(name: str) -> None:
    node = stub_nodes().get(name)

    assert node is not None, f"{name} is missing from _native.pyi"
    assert ast.get_docstring(node), f"{name} has no docstring in _native.pyi"


@pytest.mark.parametrize("name", DOCUMENTED)
def test_stub_summary_matches_runtime_doc(name: str) -> None:
    node = stub_nodes()[name]
    runtime_doc = getattr(runtime_object(name), "__doc__", None)
    if name.endswith("__init__") or not runtime_doc:
        pytest.skip(f"{name} has no runtime docstring of its own")
    stub_doc = ast.get_docstring(node) or ""

    assert summary(stub_doc) == summary(runtime_doc)


def test_stub_marks_unsubclassable_classes_final() -> None:
    nodes = stub_nodes()
    classes = [
        (name, value)
        for name, value in vars(clearline._native).items()
        if isinstance(value, type) and not name.startswith("_")
    ]
    assert classes

    for name, cls in classes:
        try:
            type("Subclass", (cls,), {})
            subclassable = True
        except TypeError:
            subclassable = False
        node = nodes[name]
        assert isinstance(node, ast.ClassDef)
        assert is_final_decorated(node) is not subclassable, name


def test_stub_client_options_accept_none() -> None:
    # None means the default for every option, at runtime and in the stub.
    for cls in (clearline.Client, clearline.AsyncClient):
        client = cls(
            "test_key_not_real_0000",
            environment=None,
            timeout=None,
            connect_timeout=None,
            max_retries=None,
            max_message_chars=None,
        )

        assert client.base_url == "https://api.clearline.me/"
        client.close()


def test_stub_sandbox_accepts_none_max_message_chars() -> None:
    sandbox = Sandbox(max_message_chars=None)

    assert sandbox.max_message_chars == 1600


def argument_docs(doc: str) -> dict[str, str]:
    """Return the text of each entry of a Google-style ``Args:`` section, by argument name."""
    section = doc.split("Args:\n", 1)[1].split("\n\n", 1)[0]
    entries = re.split(r"\n(?=    \w+: )", "\n" + section)
    return {
        entry.split(":", 1)[0].strip(): " ".join(entry.split(":", 1)[1].split())
        for entry in entries
        if entry.strip()
    }


@pytest.mark.parametrize("name", ["Client", "AsyncClient", "Sandbox"])
def test_stub_documents_none_defaults(name: str) -> None:
    options = {"max_message_chars"}
    if name != "Sandbox":
        options |= {"environment", "timeout", "connect_timeout", "max_retries"}
    documented = argument_docs(ast.get_docstring(stub_nodes()[name]) or "")

    for option in sorted(options):
        assert "None means" in documented[option], option
