import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backend.core.catalog import Catalog  # noqa: E402
from backend.core.settings import Settings  # noqa: E402
from builders import standard_catalog  # noqa: E402


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def catalog() -> Catalog:
    return Catalog().add_all(standard_catalog())
