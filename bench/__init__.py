"""`make bench` (`python -m bench.run`): the figures of issue 6, printed as one table.

Benchmarks print figures; they never assert on time. See docs/BENCHMARKS.md.
"""
