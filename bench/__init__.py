"""Benchmarks: each prints a table of figures against a baseline measured in the same run."""
