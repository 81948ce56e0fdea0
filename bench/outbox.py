"""Benchmark: the outbox delivering 20,000 queued messages to a local SMTP server with one
worker, next to the ceiling — the same worker running no-op tasks from the same broker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxaudit_bench_outbox \
        .venv/bin/python bench/outbox.py --messages 20000

One Celery worker (prefetch 1, acks_late) runs for the whole benchmark, with Celery's default
pool as `make run` starts it: prefork, one process per CPU (`--processes`), each sending (the
outbox wakes a sender per due batch up to CXAUDIT_OUTBOX_DISPATCHERS) and each no-op task
crossing the pipe from the worker's main process to a pool process. `--pool solo` measures a
single process doing everything instead. The work
alternates in `--rounds` blocks (default 4 x 5,000), so that a machine that gets busier or
quieter affects both figures alike: a block of no-op task messages published to Redis, timed
from the first one taken until the queue is empty; then a block of outbox rows written with
queue_messages (one wake-up task), timed from the first row claimed until every row is sent.
The SMTP server is aiosmtpd in this process; it counts deliveries by Message-ID, so duplicates
are counted where they would be seen. The worker's resident memory is sampled every 0.2 s over
the whole run (flat: the last quarter's peak equals the first quarter's), and its CPU time
during each block (worker CPU ms per no-op task and per message: a companion figure that the
load of other processes on a shared machine changes far less than the rates).

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
            async def handle_EHLO(self, server, session, envelope, hostname, responses):
                session.host_name = hostname
                responses.insert(-1, "250-PIPELINING")  # as Postfix, Exim and the big senders
                return responses

            async def handle_DATA(self, server, session, envelope):
                found = MSGID.search(envelope.content)
                sink.ids[found.group(1) if found else b"?"] += 1
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def delivered(self) -> int:
        return sum(self.ids.values())

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


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used: a figure the other sessions' load on a
    shared machine changes far less than wall-clock rates."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        out = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in out.split()]


def tree_rss_kb(pid: int) -> int:
    """A worker's memory: its own and its pool processes' (prefork)."""
    return rss_kb(pid) + sum(rss_kb(child) for child in children(pid))


def tree_cpu_s(pid: int) -> float:
    return cpu_s(pid) + sum(cpu_s(child) for child in children(pid))


def add_pool_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pool",
        choices=["prefork", "solo"],
        default="prefork",
        help="the worker's pool: prefork (Celery's default, and `make run`'s worker: each "
        "process sends, each no-op task crosses a pipe to one) or solo (one process)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="prefork's processes (default: the number of CPUs, as Celery's own default)",
    )


def pool_options(args) -> list[str]:
    if args.pool == "solo":
        return ["--pool=solo"]
    return ["--pool=prefork", f"--concurrency={args.processes}"]


def start_worker(
    queue: str, env: dict, log: Path, pool: list[str] | None = None
) -> subprocess.Popen:
    """One Celery worker on `queue`; `pool` its pool options (solo unless told)."""
    handle = log.open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "cxaudit",
            "worker",
            "-Q",
            queue,
            *(pool or ["--pool=solo"]),
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


def run(started, done, proc, samples: list[int], cpu: list[float] | None = None) -> float:
    """Seconds from started() to done(), sampling the worker's memory (the worker's start-up
    is not counted: the clock starts when the first piece of work has been taken); the worker's
    CPU seconds over the same span are appended to `cpu`."""
    deadline = time.monotonic() + 300
    while not started():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the worker did not start working")
        time.sleep(0.002)
    start = time.monotonic()
    cpu_start = tree_cpu_s(proc.pid)
    next_sample = start
    while not done():
        now = time.monotonic()
        if now >= next_sample:
            samples.append(tree_rss_kb(proc.pid))
            next_sample = now + 0.2
        if proc.poll() is not None:
            raise RuntimeError("worker died")
        time.sleep(0.02)
    samples.append(tree_rss_kb(proc.pid))
    if cpu is not None:
        cpu.append(tree_cpu_s(proc.pid) - cpu_start)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="alternate no-op and outbox blocks this many times (a busy machine affects both)",
    )
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="on a server with autovacuum off, do not vacuum and analyze between blocks",
    )
    add_pool_arguments(parser)
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
    # The machine's load (1-minute average) at the start and the end: on a shared machine the
    # rates mean little when it was far above the number of cores.
    results: dict = {
        "messages": n,
        "database": db["NAME"],
        "pool": pool_options(args),
        "load_start": os.getloadavg()[0],
    }
    try:
        from django.db import transaction

        def channel_len():
            with app.connection_for_read() as c:
                return c.default_channel.client.llen(queue)

        Message.objects.all().delete()
        with connection.cursor() as cur:
            cur.execute("SHOW autovacuum")
            autovacuum = cur.fetchone()[0] == "on"
        results["autovacuum"] = autovacuum

        def housekeeping():
            """What autovacuum does on a normal server after a block of 5,000 changed rows
            (vacuum, and statistics for the planner). Without it, as on a server started with
            autovacuum off, the claim query's plan is chosen without statistics (a bitmap scan
            that reads every dead entry of the partial index) and each block is slower than the
            last: run with --no-vacuum to see that."""
            if not autovacuum and not args.no_vacuum:
                with connection.cursor() as cur:
                    cur.execute("VACUUM ANALYZE messaging_message")

        housekeeping()
        proc = start_worker(queue, env, tmp / "bench-outbox.log", pool_options(args))
        block = n // args.rounds
        mem: list[int] = []

        # Warm-up, not timed: a fresh worker's first tasks import code and open connections,
        # which made the first round's no-op block slow and its ratio look twice as good.
        def publish_noops(count: int) -> None:
            with app.connection_for_write() as conn:
                for _ in range(count):
                    noop.apply_async(connection=conn)

        def queue_notices(prefix: str, count: int) -> None:
            """`count` outbox rows in one transaction (a wake-up per batch after commit)."""
            with transaction.atomic():
                queue_messages(
                    NewMessage(
                        purpose=NOTICE,
                        key=f"{prefix}:{i}",
                        to_email=f"{prefix}{i}@example.test",
                        context={
                            "subject": f"Notice {i}",
                            "text": "Your visit is confirmed.",
                            "link": f"https://example.test/{i}",
                        },
                    )
                    for i in range(count)
                )

        warm = min(1000, block)
        publish_noops(warm)
        queue_notices("warm", warm)
        deadline = time.monotonic() + 120
        while channel_len() or sink.delivered() < warm:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not warm up")
            time.sleep(0.05)
        settled = time.monotonic() + 30
        while Message.objects.filter(state=State.SENT).count() < warm:
            if time.monotonic() > settled:
                break
            time.sleep(0.1)
        Message.objects.all().delete()
        sink.ids.clear()
        housekeeping()
        noop_times, outbox_times, queue_times = [], [], []
        noop_cpu: list[float] = []
        outbox_cpu: list[float] = []
        for r in range(args.rounds):
            # The ceiling: no-op tasks from the same broker, through the same worker.
            publish_noops(block)
            noop_times.append(
                run(
                    lambda: channel_len() < block,
                    lambda: channel_len() == 0,
                    proc,
                    mem,
                    noop_cpu,
                )
            )
            # The outbox: a block of rows, woken as queue_messages wakes its senders.
            t = time.monotonic()
            queue_notices(f"round{r}-", block)
            queue_times.append(time.monotonic() - t)
            housekeeping()  # outside the timed blocks
            done = (r + 1) * block

            # Progress is read from the SMTP server's own count, not by counting rows every
            # 20 ms (a growing table's COUNT would take the database's CPU from the worker);
            # the rows' states are checked once at the end.
            def begun(before=done - block):
                return sink.delivered() > before

            def sent(done=done):
                return sink.delivered() >= done

            outbox_times.append(run(begun, sent, proc, mem, outbox_cpu))
        settle = time.monotonic() + 30  # the last "sent" records follow the server's reply
        while Message.objects.filter(state=State.SENT).count() < block * args.rounds:
            if time.monotonic() > settle:
                break
            time.sleep(0.2)
        proc.terminate()
        proc.wait(30)
        time.sleep(0.5)
        total = block * args.rounds
        results["messages"] = total
        results["rounds"] = args.rounds
        results["noop_s"] = round(sum(noop_times), 2)
        results["noop_per_s"] = round(total / sum(noop_times), 1)
        results["queue_s"] = round(sum(queue_times), 2)
        results["outbox_s"] = round(sum(outbox_times), 2)
        results["outbox_per_s"] = round(total / sum(outbox_times), 1)
        results["ratio_to_noop"] = round(results["outbox_per_s"] / results["noop_per_s"], 3)
        results["ratio_per_round"] = [
            round(nt / ot, 3) for nt, ot in zip(noop_times, outbox_times, strict=True)
        ]
        # The worker's own CPU per task and per message (the database and the SMTP server work
        # for the outbox too: this is a companion figure, not the target).
        results["worker_cpu_ms_per_noop"] = round(1000 * sum(noop_cpu) / total, 3)
        results["worker_cpu_ms_per_message"] = round(1000 * sum(outbox_cpu) / total, 3)
        results["delivered"] = sum(sink.ids.values())
        results["duplicates"] = sum(c - 1 for c in sink.ids.values() if c > 1)
        results["not_sent"] = Message.objects.exclude(state=State.SENT).count()
        quarter = max(1, len(mem) // 4)
        results["worker_rss_mb"] = {
            "first_quarter_max": round(max(mem[:quarter]) / 1024, 1),
            "last_quarter_max": round(max(mem[-quarter:]) / 1024, 1),
            "peak": round(max(mem) / 1024, 1),
        }
        results["load_end"] = os.getloadavg()[0]
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
    print(f"{'worker CPU ms per no-op':<28}{results['worker_cpu_ms_per_noop']:>12}")
    print(f"{'worker CPU ms per message':<28}{results['worker_cpu_ms_per_message']:>12}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
