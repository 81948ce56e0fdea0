"""The signature: a hand-checked value, and the verification snippet of docs/webhooks.md run
as a receiver would run it."""

from __future__ import annotations

import re
import time
from pathlib import Path

from cxaudit.webhooks import signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def snippet_verify():
    text = DOC.read_text()
    found = re.search(r"```python\n((?:(?!```).)*?def verify\(.*?)```", text, re.S)
    assert found, "docs/webhooks.md lost its verification snippet"
    namespace: dict = {}
    exec(compile(found.group(1), str(DOC), "exec"), namespace)  # noqa: S102 (our own docs)
    return namespace["verify"]


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    # Computed independently: printf '1765112400.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    expected = "f007ebc3958ea69b1f99a31168a857152d141216c1a2c134ab3075cc1cd1d945"
    assert signing.signature("whsec_test", 1765112400, b'{"a":1}') == expected
    assert signing.header_value("whsec_test", 1765112400, b'{"a":1}') == (
        f"t=1765112400,v1={expected}"
    )


def test_a_new_secret_is_long_random_and_prefixed():
    a, b = signing.new_secret(), signing.new_secret()
    assert a != b and a.startswith("whsec_") and len(a) >= 6 + 43


def test_the_documented_snippet_accepts_a_signature_and_refuses_tampering():
    verify = snippet_verify()
    secret, body = signing.new_secret(), b'{"id":"e1","type":"wave.closed"}'
    now = int(time.time())
    header = signing.header_value(secret, now, body)
    assert verify(secret, body, header)
    assert not verify(secret, body + b" ", header)  # body changed
    assert not verify(signing.new_secret(), body, header)  # another secret
    old = signing.header_value(secret, now - 3600, body)
    assert not verify(secret, body, old)  # a replayed capture
    assert verify(secret, body, old, tolerance=7200)
    # Two signatures (a receiver mid-rotation may list several): either may match.
    assert verify(secret, body, f"t={now},v1={'0' * 64},v1={signing.signature(secret, now, body)}")
    for broken in ("", "t=abc,v1=00", "v1=00", "garbage"):
        assert not verify(secret, body, broken)
