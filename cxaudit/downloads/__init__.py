"""Exports of an organisation's data as CSV or XLSX: small ones at once, large ones as jobs
run in Celery with progress, kept for a while and downloaded by members allowed to see them.

Sits above insights in the dependency order (it reads surveys, shoppers and insights; nothing
imports it): docs/exports.md.
"""
