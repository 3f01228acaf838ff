"""Keeping HubSpot and Stripe in step: pure planning (what to change on which side, and what
conflicts wait for a person), apart from the use case that reads and writes (services/sync.py)."""
