"""The complete survey definition example of docs/formats.md, read from the document itself so
that the documentation cannot drift from what the importer accepts."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from tests.factories import make_standard

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def example() -> dict[str, Any]:
    text = DOC.read_text()
    section = text[text.index("## Survey definition JSON") :]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block, "docs/formats.md has no JSON example in the survey section"
    return copy.deepcopy(json.loads(block.group(1)))


def example_standards(org) -> None:
    make_standard(org, "QUEUE-5MIN")
    make_standard(org, "GREET-10S")
