"""The README stays short and true: its quickstart commands run as written, and every relative link of the
README, of docs/ and of the other READMEs points to a file that exists (and, with an anchor, to a heading
of that file)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAX_LINES = 250

# The README sections whose shell blocks are run, in this order, in one copy of the repository.
QUICKSTART = ("Two commands", "A first crawl", "A first export")
# Commands the quickstart must name. `make test` runs the suite, this test included: it is checked to be
# there and to be a Makefile target, not run.
REQUIRED = {"Two commands": ["make demo", "make test"], "A first export": ["make export"]}
NOT_RUN = {"make test"}

FENCE = re.compile(r"^```(sh|bash|shell)\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def sections(text: str) -> dict[str, str]:
    """The README's `## ` sections by title (the text up to the next `## `)."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def commands(section: str) -> list[str]:
    """The commands of a section's shell blocks: one per line, continuation lines joined, comments kept."""
    found = []
    for _, block in FENCE.findall(section):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                found.append(line.strip())
    return found


def words(command: str) -> str:
    """A command without its comment and extra spaces: `make demo   # ...` -> `make demo`."""
    return " ".join(shlex.split(command, comments=True))


def quickstart() -> dict[str, list[str]]:
    found = sections(README.read_text(encoding="utf-8"))
    missing = [title for title in QUICKSTART if title not in found]
    assert not missing, f"README.md has no section {missing}: the quickstart test runs {QUICKSTART}"
    return {title: commands(found[title]) for title in QUICKSTART}


def test_the_readme_fits_on_a_screen() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines; move details to docs/ (at most {MAX_LINES})"


def test_the_quickstart_names_its_commands_and_the_makefile_has_them() -> None:
    blocks = quickstart()
    for title, cmds in blocks.items():
        assert cmds, f'README section "{title}" has no shell command'
    for title, required in REQUIRED.items():
        named = [words(c) for c in blocks[title]]
        for command in required:
            assert command in named, f'README section "{title}" no longer says `{command}`'
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in [c for cmds in REQUIRED.values() for c in cmds]:
        target = command.split()[1]
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"the Makefile has no target {target}"


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file (outside code blocks)."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    found = set()
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def documents() -> list[Path]:
    others = [ROOT / "BENCHMARKS.md", ROOT / "bench" / "README.md", ROOT / "fixtures" / "README.md"]
    return [README, *others, *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    text = re.sub(r"^```.*?^```", "", document.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (document.parent / path).resolve() if path else document
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in anchors(file)):
            broken.append(target)
    assert not broken, f"{document.relative_to(ROOT)} links to what does not exist: {broken}"


def repository_copy(dest: Path) -> Path:
    """The repository's files (tracked and new, not ignored) copied to dest, with the project's .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    return dest


@pytest.mark.slow
def test_the_quickstart_commands_run_as_written(tmp_path: Path) -> None:
    if not (ROOT / ".venv" / "bin" / ".installed").exists():
        pytest.skip("no .venv: run `make venv` first (every make target does)")
    repo = repository_copy(tmp_path / "repo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSCRAWL_", "MAKE", "MFLAGS"))}
    # `make` in the copy must not reinstall into the shared .venv (its editable install would then point at
    # the copy): the virtualenv counts as installed.
    prelude = 'make() { command make -o .venv/bin/.installed "$@"; }\n'
    ran = []
    for title, cmds in quickstart().items():
        for command in cmds:
            if words(command) in NOT_RUN:
                continue
            result = subprocess.run(
                ["bash", "-c", prelude + command],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, (
                f'README section "{title}": `{command}` exited {result.returncode}\n'
                f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
            )
            ran.append(words(command))
    assert "make demo" in ran and "make export" in ran
    assert (repo / "data" / "newscrawl.sqlite3").is_file()
    assert any((repo / "data" / "dataset" / "articles").rglob("*.parquet"))
