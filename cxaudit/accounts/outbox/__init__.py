"""The organisation's outbox pages (program admins): every message with its state, filters,
the error of a failed one, and "retry now". The outbox itself is cxaudit.messaging."""
