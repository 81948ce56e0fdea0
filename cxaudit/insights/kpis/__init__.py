"""Operational KPIs (response time, resolution rate, handling time…) imported per location and
wave and linked to standards: a fourth perspective beside self, observed and perceived."""
