"""Issue 7: the reliability and security campaign (faults, floods, bad input, intruders).

`make stress` runs every part at full size (`python -m stress.run`); `make test` runs each at a
size that fits CI (tests/test_stress_*.py). Each part returns a `stress.report.Result`: its
figures, the targets it was held to, and every failure it saw.
"""
