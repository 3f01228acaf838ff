"""The accounting core: plain Stripe dicts in, entries out. No I/O, no framework."""
