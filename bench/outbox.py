"""Benchmark: the outbox delivering 20,000 queued messages to a local SMTP server with one
worker, next to the ceiling — the same worker running no-op tasks from the same broker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxaudit_bench_outbox \
        .venv/bin/python bench/outbox.py --messages 20000

Both runs are timed the same way: the work is queued first (20,000 no-op task messages in
Redis; 20,000 outbox rows written with queue_messages, which queues one wake-up task), then one
Celery worker (solo pool, prefetch 1, acks_late) starts; the clock runs from the worker's
"ready" line until the queue is empty (no-op) or every row is sent (outbox). The SMTP server is
aiosmtpd in this process; it counts deliveries by Message-ID, so duplicates are counted where
they would be seen. The worker's resident memory is sampled every 0.2 s.

Target: messages per second at least 25% of no-op tasks per second, 0 duplicates, memory flat.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cxaudit_bench_outbox")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/11")

import gap_report  # noqa: E402 - the sibling benchmark's database setup (create if missing, migrate)

TARGET = 0.25
MSGID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class Sink:
    """A real SMTP server that only counts: parsing every message would cost this process CPU
    the worker needs."""

    def __init__(self):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.ids: Counter = Counter()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                found = MSGID.search(envelope.content)
                sink.ids[found.group(1) if found else b"?"] += 1
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def start_worker(queue: str, env: dict, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "cxaudit",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench-{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    return proc


def run(started, done, proc, samples: list[int]) -> float:
    """Seconds from started() to done(), sampling the worker's memory (the worker's start-up
    is not counted: the clock starts when the first piece of work has been taken)."""
    deadline = time.monotonic() + 300
    while not started():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the worker did not start working")
        time.sleep(0.002)
    start = time.monotonic()
    next_sample = start
    while not done():
        now = time.monotonic()
        if now >= next_sample:
            samples.append(rss_kb(proc.pid))
            next_sample = now + 0.2
        if proc.poll() is not None:
            raise RuntimeError("worker died")
        time.sleep(0.02)
    samples.append(rss_kb(proc.pid))
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("CXAUDIT_OUTBOX_BATCH", str(args.batch))
    gap_report.setup()
    from django.db import connection

    from cxaudit.celery import app
    from cxaudit.messaging.apps import NOTICE
    from cxaudit.messaging.models import Message, State
    from cxaudit.messaging.services import NewMessage, queue_messages
    from cxaudit.messaging.tasks import noop

    n = args.messages
    sink = Sink()
    queue = f"bench-outbox-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    db = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "localhost",
        "CXAUDIT_OUTBOX_SWEEP_SECONDS": "3600",
    }
    tmp = Path(tempfile.gettempdir())
    results: dict = {"messages": n, "database": db["NAME"]}
    try:
        # 1. The ceiling: no-op tasks.
        with app.connection_for_write() as conn:
            for _ in range(n):
                noop.apply_async(connection=conn)

        def channel_len():
            with app.connection_for_read() as c:
                return c.default_channel.client.llen(queue)

        proc = start_worker(queue, env, tmp / "bench-noop.log")
        noop_mem: list[int] = []
        # The queue is empty when the worker has taken the last message; with prefetch 1 and
        # acks_late it then finishes that one task (well under the polling step).
        noop_s = run(lambda: channel_len() < n, lambda: channel_len() == 0, proc, noop_mem)
        proc.terminate()
        proc.wait(30)
        results["noop_per_s"] = round(n / noop_s, 1)
        results["noop_s"] = round(noop_s, 2)

        # 2. The outbox: 20,000 rows queued with one wake-up task.
        Message.objects.all().delete()
        t = time.monotonic()
        from django.db import transaction

        with transaction.atomic():
            queue_messages(
                NewMessage(
                    purpose=NOTICE,
                    key=f"bench:{i}",
                    to_email=f"person{i}@example.test",
                    context={
                        "subject": f"Notice {i}",
                        "text": "Your visit is confirmed.",
                        "link": f"https://example.test/{i}",
                    },
                )
                for i in range(n)
            )
        results["queue_s"] = round(time.monotonic() - t, 2)
        proc = start_worker(queue, env, tmp / "bench-outbox.log")
        mem: list[int] = []

        def begun():
            return Message.objects.exclude(state=State.QUEUED).exists()

        def sent():
            return Message.objects.filter(state=State.SENT).count() >= n

        outbox_s = run(begun, sent, proc, mem)
        proc.terminate()
        proc.wait(30)
        time.sleep(0.5)
        results["outbox_s"] = round(outbox_s, 2)
        results["outbox_per_s"] = round(n / outbox_s, 1)
        results["ratio_to_noop"] = round(results["outbox_per_s"] / results["noop_per_s"], 3)
        results["delivered"] = sum(sink.ids.values())
        results["duplicates"] = sum(c - 1 for c in sink.ids.values() if c > 1)
        results["not_sent"] = Message.objects.exclude(state=State.SENT).count()
        quarter = max(1, len(mem) // 4)
        results["worker_rss_mb"] = {
            "first_quarter_max": round(max(mem[:quarter]) / 1024, 1),
            "last_quarter_max": round(max(mem[-quarter:]) / 1024, 1),
            "peak": round(max(mem) / 1024, 1),
        }
        results["noop_worker_rss_peak_mb"] = round(max(noop_mem) / 1024, 1)
        results["meets_target"] = results["ratio_to_noop"] >= TARGET and results["duplicates"] == 0
    finally:
        sink.stop()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    print(f"{'no-op tasks/s':<28}{results['noop_per_s']:>12}")
    print(f"{'outbox messages/s':<28}{results['outbox_per_s']:>12}")
    print(f"{'ratio (target >= 0.25)':<28}{results['ratio_to_noop']:>12}")
    print(f"{'duplicates':<28}{results['duplicates']:>12}")
    print(f"{'worker RSS MB (1st/last q)':<28}{results['worker_rss_mb']!s:>12}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
