"""`python -m stress.floods [--full]`: the floods alone."""

from stress.floods import campaign

if __name__ == "__main__":
    import sys
    outcome = campaign(full="--full" in sys.argv, progress=lambda m: print(m, file=sys.stderr))
    print("\n".join(outcome.lines()))
    sys.exit(0 if outcome.ok else 1)
