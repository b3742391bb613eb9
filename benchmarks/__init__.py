"""Benchmarks of issue 7: a synthetic portal, the measurements (``run.py``) and a bare spider."""
