"""The outbox: every email cxaudit sends is a row here first (see docs/outbox.md)."""
