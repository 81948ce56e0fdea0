"""A reviewer uploads a responses CSV in Chromium; a real worker imports it while the status page
shows the progress moving, then the result."""

import time

import pytest

from tests.conftest import login
from tests.surveys.import_helpers import (  # noqa: F401 (media_root is a fixture)
    GOOD_ROWS,
    HEADER,
    make_import_context,
    media_root,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("media_root"),
]


def test_upload_shows_live_progress_then_the_result(celery_worker, page, org, reviewer, tmp_path):
    make_import_context(org)
    rows = 3000
    path = tmp_path / "history.csv"
    path.write_text("\n".join([HEADER] + [GOOD_ROWS[i % 3] for i in range(rows)]) + "\n")

    console = []
    page.on("console", lambda msg: console.append(msg.text))
    login(page, reviewer.email)
    page.goto(f"/o/{org.slug}/responses/imports/new/?survey=visit")
    assert page.get_by_role("link", name="Download template CSV").is_visible()
    page.locator("#id_survey").select_option("visit")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and import").click()

    progress = page.locator("#import-progress progress")
    seen = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if page.get_by_text("Imported 3000 responses").count():
            break
        if progress.count():
            value = progress.get_attribute("value")
            if value is not None:
                seen.add(int(float(value)))
        time.sleep(0.3)
    assert page.get_by_text(f"Imported {rows} responses").is_visible()
    # The bar moved without reloading the page by hand (the script polls the status JSON).
    assert any(0 < v < 100 for v in seen), seen
    assert not [m for m in console if "Content Security Policy" in m], console
