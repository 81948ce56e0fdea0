"""cxaudit's settings with the benchmarks' URLs (bench_urls: the app plus a minimal view)."""

from cxaudit.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
