"""Parsing robustness: per-field agreement on mutated snapshot pages with the unmutated golden files.

    .venv/bin/python bench/mutation.py [--seeds 1,2,3] [--misses N]

Every page with a golden file is mutated (``fixtures/generator/mutate.py``: classes renamed, wrappers,
moved blocks, swapped label elements; JSON-LD, meta and URLs unchanged) and parsed. The table gives,
per field, how often the mutated page yields the golden value: first with every source of
``newscrawl/parsing/``, then, as the reference measured in the same run, with only the first source
of each field (the class names of the current design) — what a parser without layered sources gets.
Prints; asserts nothing (``tests/test_mutation.py`` holds the threshold).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# bench/incremental.py would shadow Twisted's dependency "incremental": drop this directory from the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from fixtures.generator.robustness import VISIBLE_ONLY, score  # noqa: E402
from newscrawl.parsing import article, body, cards, navigation, sidebar  # noqa: E402

# Each source table of the parser and the module of the package that holds it (and reads it).
TABLES = {
    "ARTICLE_SOURCES": article,
    "TRANSLATION_SOURCES": article,
    "BODY_SOURCES": body,
    "CARD_SOURCES": cards,
    "CARD_FINDERS": cards,
    "SIDEBAR_SOURCES": sidebar,
    "SIDEBAR_FINDERS": sidebar,
    "NAVIGATION_SOURCES": navigation,
}


@contextmanager
def first_sources_only() -> Iterator[None]:
    """Every source table of the parser cut to its first entry, restored afterwards."""
    saved = {name: getattr(module, name) for name, module in TABLES.items()}
    try:
        for name, value in saved.items():
            if isinstance(value, dict):
                setattr(TABLES[name], name, {field: sources[:1] for field, sources in value.items()})
            else:
                setattr(TABLES[name], name, value[:1])
        yield
    finally:
        for name, value in saved.items():
            setattr(TABLES[name], name, value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1,2,3", help="comma list of mutation seeds")
    parser.add_argument("--misses", type=int, default=0, help="print up to N disagreements per field")
    args = parser.parse_args()
    seeds = [seed.strip() for seed in args.seeds.split(",") if seed.strip()]
    layered = score(seeds)
    with first_sources_only():
        reference = score(seeds)
    print(f"mutated pages of fixtures/snapshot and fixtures/snapshot-next, seeds {','.join(seeds)}")
    print(f"{'field':<26}{'values':>8}{'all sources':>13}{'first only':>12}  held to 95%")
    for name, entry in layered.items():
        first = reference.get(name)
        held = "no (visible markup only)" if name in VISIBLE_ONLY else "yes"
        first_share = f"{first.share:.1%}" if first else "-"
        print(f"{name:<26}{entry.total:>8}{entry.share:>13.1%}{first_share:>12}  {held}")
        for miss in entry.misses[: args.misses]:
            print(f"    {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
