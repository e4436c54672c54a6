"""Benchmarks. Run all with ``python -m benchmarks`` (writes docs/benchmarks.md).

Every figure is a ratio against a reference measured in the same run, because these
machines are noisy; absolute medians are printed beside them.
"""
