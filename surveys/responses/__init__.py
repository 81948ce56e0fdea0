"""Responses: the one path by which answers enter cxaudit (recording, submitting and scoring
them), the form engine that every way of answering a survey reuses, evidence uploads and the
bulk re-scoring after a rule change (docs/form-engine.md)."""
