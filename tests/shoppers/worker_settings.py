"""Settings of the Celery worker of tests/shoppers/test_tasks.py while the shopper pages are
not merged: the project's settings with tests/shoppers/worker_urls.py as the URL conf."""

from cxaudit.settings import *  # noqa: F403

ROOT_URLCONF = "tests.shoppers.worker_urls"
