"""Benchmarks (`make bench`); never run as timed unit tests."""
