"""Rewrite what is derived from the item schemas as text: the README's field tables and the Datasette
descriptions of the store columns that hold item fields.

    .venv/bin/python tools/sync_fields.py        (make fields)

Review the result with ``git diff``. ``tests/test_schemas.py`` fails while either file differs from what
this script writes, so a schema change cannot leave them behind.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newscrawl.schemas import fields  # noqa: E402
from newscrawl.schemas.derived import STORE_TABLES, markdown_fields, store_description  # noqa: E402

README = ROOT / "README.md"
METADATA = ROOT / "datasette" / "metadata.yml"
BEGIN = "<!-- fields: written by tools/sync_fields.py from newscrawl/schemas/ -->\n"
END = "<!-- /fields -->\n"


def readme(text: str) -> str:
    """README text with the block between the markers replaced by the field tables."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"README.md has no {BEGIN.strip()} ... {END.strip()} block")
    return head + BEGIN + "\n" + markdown_fields() + "\n" + END + tail


def metadata(text: str) -> str:
    """metadata.yml with the descriptions of item-field columns taken from the schemas."""
    lines = text.splitlines(keepends=True)
    table = None
    for i, line in enumerate(lines):
        found = re.match(r"^ {6}(\w+):\s*$", line)
        if found:
            table = found.group(1)
            continue
        column = re.match(r"^ {10}(\w+): ", line)
        if column is None or table not in STORE_TABLES:
            continue
        schema, own = STORE_TABLES[table]
        by_name = {item_field.name: item_field for item_field in fields(schema)}
        name = column.group(1)
        if name in by_name and name not in own:
            description = json.dumps(store_description(by_name[name]), ensure_ascii=False)
            lines[i] = f"          {name}: {description}\n"
    return "".join(lines)


def main() -> int:
    for path, rewrite in ((README, readme), (METADATA, metadata)):
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
