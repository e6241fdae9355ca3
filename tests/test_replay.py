"""The snapshot layout (URL <-> file), replay and record through Scrapy's downloader."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from newscrawl.replay import (
    ReplayPathError,
    find_file,
    iter_snapshot,
    path_to_url,
    url_to_path,
)

LAYOUT_EXAMPLES = [
    ("https://report.az/", "text/html", "report.az/_.html"),
    ("https://report.az/en/", "text/html", "report.az/en/_.html"),
    ("https://report.az/en/finance", "text/html", "report.az/en/finance.html"),
    ("https://report.az/en/finance/some-story", "text/html", "report.az/en/finance/some-story.html"),
    ("https://report.az/robots.txt", "text/plain", "report.az/robots.txt.txt"),
    (
        "https://report.az/infinity/index?date=2026-01-29+15%3A08%3A00&oldest=1",
        "text/html",
        "report.az/infinity/index@date=2026-01-29+15%3A08%3A00&oldest=1.html",
    ),
    (
        "https://report.az/en/infinity/category?slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1",
        "text/html",
        "report.az/en/infinity/category@slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1.html",
    ),
    ("https://report.az/news-sitemap.xml", "application/xml", "report.az/news-sitemap.xml.xml"),
    ("https://report.az/api/x", "application/json; charset=utf-8", "report.az/api/x.json"),
    ("https://static.report.az/photo/a_850.jpg", "image/jpeg", "static.report.az/photo/a_850.jpg.bin"),
    ("http://127.0.0.1:8123/a", "text/html", "127.0.0.1:8123/a.html"),
]


@pytest.mark.parametrize(("url", "content_type", "path"), LAYOUT_EXAMPLES)
def test_layout_examples_both_ways(url: str, content_type: str, path: str) -> None:
    assert url_to_path(url, content_type) == PurePosixPath(path)
    scheme = url.split(":", 1)[0]
    assert path_to_url(path, scheme=scheme) == url
    assert path_to_url(PurePosixPath(path), scheme=scheme) == url


ROUND_TRIP = [
    "https://report.az/",
    "https://report.az/en/",
    "https://report.az/en/finance/",
    "https://report.az/en/finance",
    "https://report.az/search?query=Ilham%20Aliyev",
    "https://report.az/search?query=neft+qiym%C9%99ti",
    "https://report.az/x?path=a%2Fb%2Fc&y=1",
    "https://report.az/_",
    "https://report.az/_/_/x",
    "https://report.az/en/_?q=_",
    "https://report.az/robots.txt",
    "https://report.az/maliyye-xeberleri/az%C9%99rbaycan%C4%B1n-neft-g%C9%99lirl%C9%99ri-art%C4%B1b1",
    "https://report.az/a//b",
    "https://report.az/.well-known/security.txt",
    "https://report.az/a%40b@c?d@e",
    "https://report.az/?q=1",
    "https://report.az/archive/2026/01/29",
    "http://127.0.0.1:8123/en/",
]


@pytest.mark.parametrize("url", ROUND_TRIP)
@pytest.mark.parametrize("content_type", ["text/html", "text/plain", "application/octet-stream"])
def test_round_trip(url: str, content_type: str) -> None:
    path = url_to_path(url, content_type)
    assert not path.is_absolute()
    assert ".." not in path.parts
    assert path_to_url(path, scheme=url.split(":", 1)[0]) == url.replace("@c", "%40c")


def test_distinct_urls_get_distinct_files() -> None:
    paths = [url_to_path(url) for url in ROUND_TRIP]
    assert len(set(paths)) == len(paths)


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        (
            "https://report.az/en/xəbər?q=neft qiyməti/son",
            "https://report.az/en/x%C9%99b%C9%99r?q=neft%20qiym%C9%99ti%2Fson",
        ),
        ("https://REPORT.AZ:443/en/%5F", "https://report.az/en/_"),
        ("https://report.az/a@b", "https://report.az/a%40b"),
        ("https://report.az/x#fragment", "https://report.az/x"),
    ],
)
def test_equivalent_urls_replay_in_normal_form(url: str, normal: str) -> None:
    assert path_to_url(url_to_path(url)) == normal
    assert url_to_path(url) == url_to_path(normal)


@pytest.mark.parametrize(
    "url",
    [
        "https://report.az/../etc/passwd",
        "https://report.az/en/../../x",
        "https://report.az/%2e%2e/x",
        "https://report.az/%2E%2e",
        "https://report.az/./x",
        "https://report.az/%2e/x",
        "https://report.az/en/a%2Fb",
        "https://report.az/en/a%2fb",
        "https://report.az/en/a%5Cb",
        "https://report.az/en/a\\b",
        "https://report.az/..\\..\\x",
        "https://report.az/a%00b",
        "https://report.az/a\x00b",
        "file:///etc/passwd",
        "https:///etc/passwd",
        "/etc/passwd",
        "https://report.az/" + "x" * 300,
    ],
)
def test_escaping_urls_are_refused(url: str) -> None:
    with pytest.raises(ReplayPathError):
        url_to_path(url)


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd.html",
        "report.az/../../etc/passwd.html",
        "report.az/%2e%2e/x.html",
        "../report.az/x.html",
        "report.az/a%2Fb.html",
        "report.az.html",
        "report.az/x.exe",
        "report.az/.html",
    ],
)
def test_escaping_paths_are_refused(path: str) -> None:
    with pytest.raises(ReplayPathError):
        path_to_url(path)


def test_refused_errors_are_value_errors_with_one_sentence() -> None:
    with pytest.raises(ValueError, match=r"^'https://report.az/%2e%2e/x' has a segment '%2e%2e', .*\.$"):
        url_to_path("https://report.az/%2e%2e/x")


def _write(root: Path, relative: str, body: bytes = b"x") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def test_find_file_whatever_the_extension(tmp_path: Path) -> None:
    robots = _write(tmp_path, "report.az/robots.txt.txt")
    home = _write(tmp_path, "report.az/_.html")
    assert find_file(tmp_path, "https://report.az/robots.txt") == robots
    assert find_file(tmp_path, "https://report.az/") == home
    assert find_file(tmp_path, "https://report.az/en/") is None
    _write(tmp_path, "report.az/_.json")
    with pytest.raises(ReplayPathError, match="2 files"):
        find_file(tmp_path, "https://report.az/")


def test_find_file_refuses_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    outside = _write(tmp_path, "outside/secret.html")
    root = tmp_path / "snapshot"
    (root / "report.az").mkdir(parents=True)
    (root / "report.az" / "en").symlink_to(outside.parent, target_is_directory=True)
    with pytest.raises(ReplayPathError, match="outside the snapshot root"):
        find_file(root, "https://report.az/en/secret")


def test_iter_snapshot_lists_pages_and_skips_the_rest(tmp_path: Path) -> None:
    _write(tmp_path, "SNAPSHOT.json", b"{}")
    _write(tmp_path, ".meta/report.az/_.json", b"{}")
    _write(tmp_path, "report.az/.x.html.1234.tmp")
    pages = {
        "https://report.az/": _write(tmp_path, "report.az/_.html"),
        "https://report.az/robots.txt": _write(tmp_path, "report.az/robots.txt.txt"),
        "https://report.az/en/_": _write(tmp_path, "report.az/en/%5F.html"),
        "https://report.az/infinity/index?date=2026-01-29+15%3A08%3A00&oldest=1": _write(
            tmp_path, "report.az/infinity/index@date=2026-01-29+15%3A08%3A00&oldest=1.html"
        ),
    }
    listed = list(iter_snapshot(tmp_path))
    assert dict(listed) == pages
    assert [path for _, path in listed] == sorted(path for _, path in listed)
    for url, path in listed:
        assert find_file(tmp_path, url) == path
