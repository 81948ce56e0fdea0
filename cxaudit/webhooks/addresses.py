"""Where a webhook may be sent: the SSRF policy, in plain Python (no Django).

A destination is refused unless every address its name resolves to is public, or inside a CIDR
of the allow-list setting (CXAUDIT_WEBHOOK_ALLOW_CIDRS). Refused: loopback, private (RFC 1918,
unique-local fc00::/7), shared (100.64.0.0/10), link-local (169.254.0.0/16, where cloud metadata
lives at 169.254.169.254, and fe80::/10), multicast, reserved, unspecified and every other
non-global range, in IPv4 and IPv6; an IPv4-mapped IPv6 address (::ffff:a.b.c.d), a NAT64
address (64:ff9b::/96) and a 6to4 address (2002::/16) are judged by the IPv4 address they
carry. The check runs at registration and again at connect time on the very addresses the
connection then uses (transport.py), so a name that changes its answer (DNS rebinding) gains
nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
SHARED = ipaddress.ip_network("100.64.0.0/10")
MAX_URL = 2000


class Refused(Exception):
    """The destination is not allowed; the message says which address and why."""


def parse_cidrs(text: str | Iterable[str]) -> tuple[Network, ...]:
    """The allow-list setting: comma-separated CIDRs (or single addresses). ValueError names
    the entry that is not one."""
    items = text.split(",") if isinstance(text, str) else list(text)
    nets = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"not a CIDR: {item!r}") from exc
    return tuple(nets)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    return None


def _why(ip: IPAddress) -> str | None:
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.version == 4 and ip in SHARED:
        return "a shared (carrier-grade NAT) address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:  # also documentation and benchmarking ranges (Python's registry)
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


def refusal(address: str, allow: Sequence[Network] = ()) -> str | None:
    """Why `address` may not be reached (None when it may)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"{address!r} is not an IP address"
    if any(ip in net for net in allow if net.version == ip.version):
        return None
    inner = _embedded_ipv4(ip)
    if inner is not None:
        if any(inner in net for net in allow if net.version == 4):
            return None
        why = _why(inner)
        if why:
            return f"{ip} carries {inner}, {why}"
        if ip.ipv4_mapped is not None:
            return None  # ::ffff:<public IPv4> is that public address
    why = _why(ip)
    return f"{ip} is {why}" if why else None


def check_addresses(host: str, addresses: Sequence[str], allow: Sequence[Network] = ()) -> None:
    """Refuse unless every address `host` resolved to may be reached (one bad answer among
    several is enough: the client could connect to any of them)."""
    if not addresses:
        raise Refused(f"{host} resolves to no address")
    for address in addresses:
        why = refusal(address, allow)
        if why:
            raise Refused(f"{host}: {why}" if host != address else why)


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in the resolver's order, without duplicates.
    (Tests replace this function to play a resolver that changes its answers.)"""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def split_url(url: str) -> tuple[str, int, str]:
    """(host, port, path with query) of an https:// URL; ValueError saying what is wrong."""
    if len(url) > MAX_URL:
        raise ValueError(f"at most {MAX_URL} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError("it contains spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise ValueError("it must start with https://")
    if parts.username is not None or parts.password is not None:
        raise ValueError("it must not carry a user name or password")
    if parts.fragment:
        raise ValueError("it must not have a #fragment")
    host = parts.hostname
    if not host:
        raise ValueError("it has no host name")
    try:  # an internationalised name, as DNS and TLS know it
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("its host name is not a valid name") from exc
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise ValueError("its port is not a number from 1 to 65535") from exc
    if port == 0:
        raise ValueError("its port is not a number from 1 to 65535")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return host, port, path


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_destination(url: str, allow: Sequence[Network] = ()) -> list[str]:
    """Refuse a URL whose host is, or resolves to, an address the policy forbids; returns the
    addresses (checked) in the resolver's order. Raises Refused, or ValueError for a URL that
    is malformed."""
    host, port, _ = split_url(url)
    if "%" in host:
        raise Refused(f"{host} is a scoped (link-local) IPv6 address")
    if is_ip_literal(host):
        addresses = [host]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"{host} could not be resolved") from exc
    check_addresses(host, addresses, allow)
    return addresses
