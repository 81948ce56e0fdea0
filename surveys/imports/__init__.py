"""The responses CSV import: history from another tool, or paper forms keyed in, checked row by
row and written all or nothing by a Celery task with progress (docs/formats.md, "Responses
CSV")."""
