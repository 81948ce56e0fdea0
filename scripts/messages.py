"""Compile the translation catalogues (locale/*/LC_MESSAGES/django.po → .mo) in pure Python
(Babel), so that no GNU gettext is needed on any machine. The .mo files are committed: the app
reads them as they are; tests/outreach/test_i18n.py checks that they match their .po.

    .venv/bin/python scripts/messages.py            # compile every catalogue
    .venv/bin/python scripts/messages.py --check    # exit 1 when a .mo is out of date
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def compiled(po: Path) -> bytes:
    with po.open("rb") as handle:
        catalog = read_po(handle)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def main(argv: list[str]) -> int:
    stale = []
    for po in sorted(ROOT.glob("locale/*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        data = compiled(po)
        if "--check" in argv:
            if not mo.exists() or mo.read_bytes() != data:
                stale.append(str(mo.relative_to(ROOT)))
        else:
            mo.write_bytes(data)
            print(f"compiled {mo.relative_to(ROOT)}")
    if stale:
        print("out of date (run scripts/messages.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
