"""The pytest plugin of the package: the ``clearline_sandbox`` fixture.

pytest loads it through the package's ``pytest11`` entry point, so the fixture is available in
every test suite of an environment where ``clearline`` is installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clearline.testing import Sandbox

__all__ = ["clearline_sandbox"]


@pytest.fixture
def clearline_sandbox() -> Iterator[Sandbox]:
    """Yield a running :class:`clearline.testing.Sandbox`, stopped after the test.

    Reports go out 10 ms after a send, so tests that wait for callbacks stay fast. The sandbox
    runs in the background, so the fixture serves blocking and asyncio tests alike.
    """
    with Sandbox(callback_delay=0.01) as sandbox:
        yield sandbox
