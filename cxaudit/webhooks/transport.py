"""Posting one delivery: resolve the host once, check every address against the SSRF policy,
then connect to a checked address (TLS with the host's name for SNI and certificate checks,
`Host:` the host's name), with strict timeouts, no redirects followed and a capped read of the
answer. urllib3 does the HTTP; only the address it connects to is chosen here, so a resolver
that answers differently the second time (DNS rebinding) is never asked a second time.

Redirects are never followed: a 3xx answer is recorded as a failed attempt (with its Location),
so a redirect to 169.254.169.254 is refused by construction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError

from . import addresses
from .addresses import Refused
from .conf import WebhookSettings

EXCERPT = 1000  # characters of the answer kept on the attempt


@dataclass
class Outcome:
    status: int | None = None
    latency_ms: int = 0
    address: str = ""
    error: str = ""
    excerpt: str = ""
    refused: bool = False  # the destination is not allowed: nothing was sent

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _pool(ip: str, host: str, port: int, cfg: WebhookSettings) -> urllib3.HTTPSConnectionPool:
    literal = addresses.is_ip_literal(host)
    return urllib3.HTTPSConnectionPool(
        host=ip,
        port=port,
        # SNI and certificate checks against the name of the URL, not the address dialled.
        server_hostname=None if literal else host,
        assert_hostname=host,
        cert_reqs="CERT_REQUIRED",
        ca_certs=cfg.ca_bundle or None,
        timeout=urllib3.Timeout(connect=cfg.connect_timeout, read=cfg.read_timeout),
        retries=False,
        maxsize=1,
        block=False,
    )


def _read_capped(response, limit: int, deadline: float) -> bytes:
    """At most `limit` bytes of the answer, and no longer than the read timeout in all (a
    server dribbling one byte at a time does not hold a sender)."""
    chunks, size = [], 0
    while size < limit and time.monotonic() < deadline:
        chunk = response.read(min(1024, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def post(url: str, body: bytes, headers: dict[str, str], cfg: WebhookSettings) -> Outcome:
    """POST `body` to `url` under the SSRF policy; never raises for the network or the policy:
    the outcome says what happened."""
    started = time.monotonic()

    def done(**kwargs) -> Outcome:
        return Outcome(latency_ms=round((time.monotonic() - started) * 1000), **kwargs)

    try:
        host, port, path = addresses.split_url(url)
        checked = addresses.check_destination(url, cfg.allow)
    except (Refused, ValueError) as exc:
        return done(error=f"Refused: {exc}", refused=True)
    host_header = f"[{host}]" if ":" in host else host
    if port != 443:
        host_header = f"{host_header}:{port}"
    last_error = ""
    for ip in checked:
        pool = _pool(ip, host, port, cfg)
        try:
            response = pool.urlopen(
                "POST",
                path,
                body=body,
                headers={**headers, "Host": host_header},
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except urllib3.exceptions.NewConnectionError as exc:
            last_error = f"could not connect to {ip}: {_reason(exc)}"
            pool.close()
            continue  # the next checked address, as a browser would
        except HTTPError as exc:
            pool.close()
            return done(address=ip, error=_reason(exc))
        try:
            raw = _read_capped(response, cfg.response_bytes, started + cfg.read_timeout * 2)
        except HTTPError as exc:
            raw, last_error = b"", f"reading the answer: {_reason(exc)}"
        else:
            last_error = ""
        finally:
            response.release_conn()
            pool.close()
        status = response.status
        error = last_error
        if 300 <= status < 400:
            location = response.headers.get("Location", "")[:300]
            error = f"redirect to {location or '(no Location)'} not followed"
        elif not 200 <= status < 300:
            error = error or f"HTTP {status}"
        excerpt = raw.decode("utf-8", "replace")[:EXCERPT]
        return done(status=status, address=ip, error=error, excerpt=excerpt)
    return done(error=last_error or "could not connect")


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return f"{type(reason).__name__}: {reason}"[:400]
