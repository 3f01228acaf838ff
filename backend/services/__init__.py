"""Use cases: each takes its collaborators as arguments and returns what it did."""
