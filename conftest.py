"""pytest setup shared by tests/, the doctests in newscrawl/ and sitesim/.

Markers (registered in pyproject.toml, see docs/testing.md): ``slow`` is every test that starts a process
(a crawl, a server, a command line) or needs seconds of CPU on its own; ``scrapyd``, ``splash``,
``datasette`` and ``sitesim`` name the real server a test needs, and imply ``slow``. A test that is not
marked ``slow`` and starts a process fails, so that ``make check`` (``-m "not slow"``) stays free of
crawls and servers.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.reactor import install_reactor

# Scrapy's test helpers (get_crawler) need the reactor that settings.py names installed up front.
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")

SERVERS = ("scrapyd", "splash", "datasette", "sitesim")
ROOT = Path(__file__).resolve().parent
# The files that take longest, longest first (`pytest --durations=0`, summed per file; docs/testing.md).
LONGEST = (
    "tests/test_history.py",
    "tests/test_history_cuts.py",
    "tests/test_soak.py",
    "tests/test_export.py",
    "tests/test_completeness.py",
    "tests/test_scrapyd.py",
    "tests/test_completeness_kills.py",
    "tests/test_render_splash.py",
    "tests/test_sitesim.py",
    "tests/test_report_feed_crawl.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in SERVERS):
            item.add_marker(pytest.mark.slow)
    # The longest files first, then the other files with slow tests, each file's tests in their own order:
    # under pytest-xdist (`make test`: --dist loadfile --no-loadscope-reorder) the long files start at
    # once on the workers and the short ones fill in at the end.
    slow = Counter(item.path for item in items if item.get_closest_marker("slow"))
    rank = {ROOT / name: n for n, name in enumerate(LONGEST)}
    items.sort(key=lambda item: (rank.get(item.path, len(rank)), -slow[item.path]))


class UnmarkedProcessError(AssertionError):
    """A test that is not marked slow started a process."""


def _guarded(item: pytest.Item) -> Generator[None, Any, Any]:
    if item.get_closest_marker("slow"):
        return (yield)
    original = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def refuse(self: subprocess.Popen[Any], args: Any, *rest: Any, **options: Any) -> None:
        raise UnmarkedProcessError(
            f"{item.nodeid} starts a process ({args!r}): mark it @pytest.mark.slow (docs/testing.md)"
        )

    subprocess.Popen._execute_child = refuse  # type: ignore[attr-defined]
    try:
        return (yield)
    finally:
        subprocess.Popen._execute_child = original  # type: ignore[attr-defined]


# Setup (fixtures of any scope) and the test itself; not teardown, where a server started by an earlier
# slow test may be stopped.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _guarded(item))
