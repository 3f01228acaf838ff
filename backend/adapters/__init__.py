"""Adapters: the outside world (files, Stripe, HubSpot, Google) behind small ports."""
