from tests.downloads.liveserver import live_portal  # noqa: F401 - a fixture
