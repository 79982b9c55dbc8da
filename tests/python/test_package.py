"""The installed package: it comes from the wheel, and its public names and typing are complete."""

from __future__ import annotations

import importlib.resources
import inspect
import sys
import sysconfig
from pathlib import Path

import clearline
import pytest


def test_package_imported_from_installed_wheel() -> None:
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()

    assert Path(clearline.__file__).resolve().is_relative_to(site_packages)


def test_package_version_is_set() -> None:
    assert clearline.__version__.count(".") == 2


def test_package_exports_all_names() -> None:
    for name in clearline.__all__:
        assert hasattr(clearline, name), name


def test_package_ships_typing_files() -> None:
    files = importlib.resources.files("clearline")

    assert files.joinpath("py.typed").is_file()
    assert files.joinpath("_native.pyi").is_file()


def test_public_classes_report_package_module() -> None:
    for cls in (clearline.Client, clearline.AsyncClient, clearline.SendReceipt):
        assert cls.__module__ == "clearline"


@pytest.mark.skipif(
    sys.version_info < (3, 10), reason="abi3 classes expose their signature from Python 3.10"
)
def test_client_signature_shows_defaults() -> None:
    for cls in (clearline.Client, clearline.AsyncClient):
        parameters = inspect.signature(cls).parameters

        assert list(parameters) == [
            "api_key",
            "environment",
            "base_url",
            "timeout",
            "connect_timeout",
            "max_retries",
            "max_message_chars",
        ]
        assert parameters["environment"].default == "production"
        assert parameters["environment"].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters["timeout"].default == 30.0
