"""The wave planner: sample sizes for the next wave from the last one (formulas.py is plain
Python; views.py shows them)."""
