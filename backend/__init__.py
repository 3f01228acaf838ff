"""Stripe invoices to the sales journal, in the accountant's Google Sheet."""
