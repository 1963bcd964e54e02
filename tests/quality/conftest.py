"""One 7-day demo plant for the quality tests; each test copies it before editing."""

from __future__ import annotations

import pytest

from thermaudit.demo import DemoInfo, write_demo


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoInfo:
    return write_demo(tmp_path_factory.mktemp("quality-demo") / "dataset", days=7)
