"""WSGI entry of the benchmarks' server: the app's own URLs plus a minimal view (the ceiling
bench/outreach.py measures the survey page against). Never used outside bench/."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"  # not the caller's

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
