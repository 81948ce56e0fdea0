"""The SSRF policy in plain Python: literal addresses, URLs, numeric spellings, the allow-list."""

from __future__ import annotations

import pytest

from cxaudit.webhooks import addresses
from cxaudit.webhooks.addresses import Refused, check_destination, parse_cidrs, refusal

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "shared"),
    ("169.254.169.254", "link-local"),
    ("169.254.0.1", "link-local"),
    ("0.0.0.0", "unspecified"),  # noqa: S104 (an address to refuse, not to bind)
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.10", "private"),  # documentation range (private to Python)
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "carries 127.0.0.1"),
    ("::ffff:169.254.169.254", "carries 169.254.169.254"),
    ("::ffff:10.0.0.1", "carries 10.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "carries 169.254.169.254"),  # NAT64
    ("2002:7f00:1::", "carries 127.0.0.1"),  # 6to4
    ("2001:db8::1", "private"),
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "why"), REFUSED)
def test_non_public_addresses_are_refused(address, why):
    reason = refusal(address)
    assert reason is not None and why in reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert refusal(address) is None


def test_the_allow_list_permits_what_it_names_and_nothing_else():
    allow = parse_cidrs("127.0.0.0/8, ::1/128")
    assert refusal("127.0.0.1", allow) is None
    assert refusal("::1", allow) is None
    assert refusal("::ffff:127.0.0.1", allow) is None  # the same address, mapped
    assert refusal("169.254.169.254", allow) is not None
    assert refusal("10.0.0.1", allow) is not None
    with pytest.raises(ValueError, match="not a CIDR: 'nope'"):
        parse_cidrs("10.0.0.0/8,nope")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://example.com/hook", "https://"),
        ("ftp://example.com/", "https://"),
        ("https://user:pw@example.com/", "user name or password"),
        ("https://example.com/#x", "fragment"),
        ("https:///path", "no host name"),
        ("https://example.com:99999/", "port"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/\x00", "control"),
        ("https://example.com/" + "a" * 2000, "at most 2000"),
        ("https://" + "a" * 70 + ".example.com/", "not a valid name"),
    ],
)
def test_malformed_urls_say_what_is_wrong(url, why):
    with pytest.raises(ValueError, match=why):
        addresses.split_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]:8443/",
        "https://[::ffff:169.254.169.254]/",
        "https://[fe80::1%25eth0]/",
        "https://2130706433/",  # 127.0.0.1 spelt as one number (resolved, then refused)
        "https://0x7f.1/",  # and in hexadecimal
        "https://localhost/",
    ],
)
def test_literal_and_numeric_destinations_are_refused_without_dns(url):
    with pytest.raises(Refused):
        check_destination(url)


def test_a_name_resolving_to_a_private_address_is_refused(resolver):
    resolver.set("hooks.example.com", ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(Refused, match=r"hooks\.example\.com: 10\.0\.0\.7 is a private address"):
        check_destination("https://hooks.example.com/x")
    resolver.set("ok.example.com", ["93.184.216.34"])
    assert check_destination("https://ok.example.com/x") == ["93.184.216.34"]


def test_a_name_that_does_not_resolve_is_refused(monkeypatch):
    def fail(host, port):
        raise OSError("Name or service not known")

    monkeypatch.setattr(addresses, "resolve", fail)
    with pytest.raises(Refused, match="could not be resolved"):
        check_destination("https://nowhere.invalid/")


def test_an_internationalised_name_is_resolved_as_dns_knows_it(resolver):
    resolver.set("xn--bcher-kva.example", ["93.184.216.34"])
    assert check_destination("https://bücher.example/hook") == ["93.184.216.34"]
    assert resolver.calls == ["xn--bcher-kva.example"]
