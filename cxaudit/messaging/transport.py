"""Handing emails to the mail server.

For SMTP the exchange is written out here (on the connection Django's SMTP backend opens, with
its TLS and login) instead of calling `sendmail`, for one reason: the moment after the message's
final "." has been written and before the server's reply is read is where the sender records
the message as sent (see delivery.py). Doing that there, without waiting for the reply, shrinks
the window in which a sender killed mid-send could leave a delivered message unrecorded (and so
send it again) from the server's processing time plus a database commit to the gap between two
socket writes. Other backends (console, file, locmem: development and tests) are used as they
are.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from contextlib import contextmanager, suppress

from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from .rendering import envelope

_LEADING_DOT = re.compile(rb"(?m)^\.")


class TransportError(Exception):
    """The message was not accepted. `permanent` ones (a 5xx) are never retried; the others
    are. `connection_lost` means nothing more can be sent on this connection."""

    permanent = False

    def __init__(self, message: str, *, connection_lost: bool = False):
        super().__init__(message)
        self.connection_lost = connection_lost


class TransientError(TransportError):
    pass


class PermanentError(TransportError):
    permanent = True


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}"


class Transport:
    """Sends one email at a time; `on_data_end` is called once the message has been handed
    over completely (before its reply is read, where the backend allows it)."""

    def send(self, email, on_data_end: Callable[[], None]) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


class BackendTransport(Transport):
    """Any Django email backend (console, file, locmem): no reply to wait for."""

    def __init__(self, backend):
        self.backend = backend
        self.opened = False

    def send(self, email, on_data_end: Callable[[], None]) -> str:
        if not self.opened:
            self.backend.open()
            self.opened = True
        email.connection = self.backend
        try:
            sent = self.backend.send_messages([email])
        except OSError as exc:
            raise TransientError(str(exc) or type(exc).__name__) from exc
        if not sent:
            raise TransientError("the email backend did not send the message")
        on_data_end()
        return "accepted by the email backend"

    def close(self) -> None:
        if self.opened:
            self.backend.close()


class SmtpTransport(Transport):
    def __init__(self, backend: SmtpBackend):
        self.backend = backend
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.backend.fail_silently = False
            try:
                self.backend.open()
            except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
                self.backend.connection = None
                raise TransientError(
                    f"could not connect to the mail server: {exc}", connection_lost=True
                ) from exc
            self.smtp = self.backend.connection
        return self.smtp

    def _drop(self) -> None:
        with suppress(Exception):  # the connection is already broken; nothing to save
            self.backend.close()
        self.backend.connection = None
        self.smtp = None

    def _refused(self, smtp: smtplib.SMTP, code: int, reply: bytes, stage: str):
        text = f"{stage} refused: {_reply_text(code, reply)}"
        if code == 421 or code < 0:  # the server is closing the connection
            self._drop()
            raise TransientError(text, connection_lost=True)
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()
        if code >= 500:
            raise PermanentError(text)
        raise TransientError(text)

    def send(self, email, on_data_end: Callable[[], None]) -> str:
        sender, recipients, data = envelope(email)
        smtp = self._open()
        try:
            return self._exchange(smtp, sender, recipients, data, on_data_end)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise TransientError(
                f"the connection to the mail server was lost: {exc}", connection_lost=True
            ) from exc

    def _exchange(self, smtp, sender, recipients, data: bytes, on_data_end) -> str:
        smtp.ehlo_or_helo_if_needed()
        options = ["BODY=8BITMIME"] if not data.isascii() and smtp.has_extn("8bitmime") else []
        if len(recipients) == 1 and smtp.has_extn("pipelining"):
            self._pipelined_envelope(smtp, sender, recipients[0], options)
        else:
            self._envelope(smtp, sender, recipients, options)
        payload = _LEADING_DOT.sub(b"..", data)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        smtp.send(payload + b".\r\n")
        on_data_end()
        code, reply = smtp.getreply()
        if code != 250:
            self._refused(smtp, code, reply, "message")
        return _reply_text(code, reply)

    def _envelope(self, smtp, sender, recipients, options) -> None:
        code, reply = smtp.mail(sender, options)
        if code != 250:
            self._refused(smtp, code, reply, "sender")
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                self._refused(smtp, code, reply, f"recipient {recipient}")
        code, reply = smtp.docmd("data")
        if code != 354:
            self._refused(smtp, code, reply, "message")

    def _pipelined_envelope(self, smtp, sender, recipient, options) -> None:
        """MAIL, RCPT and DATA in one write, their three replies read after it (RFC 2920), where
        the server offers PIPELINING: two round trips a message instead of four. Only for one
        recipient: a refused RCPT then leaves the server none, so it refuses DATA too."""
        extra = "".join(f" {option}" for option in options)
        smtp.send(
            f"MAIL FROM:{smtplib.quoteaddr(sender)}{extra}\r\n"
            f"RCPT TO:{smtplib.quoteaddr(recipient)}\r\nDATA\r\n".encode(smtp.command_encoding)
        )
        replies = [smtp.getreply() for _ in range(3)]
        (mail_code, mail_reply), (rcpt_code, rcpt_reply), (data_code, data_reply) = replies
        if data_code == 354 and (mail_code != 250 or rcpt_code not in (250, 251)):
            # A server that opened DATA all the same gets an empty message it must refuse.
            smtp.send(b".\r\n")
            smtp.getreply()
        if mail_code != 250:
            self._refused(smtp, mail_code, mail_reply, "sender")
        if rcpt_code not in (250, 251):
            self._refused(smtp, rcpt_code, rcpt_reply, f"recipient {recipient}")
        if data_code != 354:
            self._refused(smtp, data_code, data_reply, "message")

    def close(self) -> None:
        if self.smtp is not None:
            with suppress(Exception):  # closing a connection that may be broken
                self.backend.close()
            self.smtp = None


@contextmanager
def open_transport():
    backend = get_connection(fail_silently=False)
    transport = (
        SmtpTransport(backend) if isinstance(backend, SmtpBackend) else BackendTransport(backend)
    )
    try:
        yield transport
    finally:
        transport.close()
