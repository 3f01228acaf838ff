"""The local stand-in for Stripe, HubSpot and Google Sheets: HTTP servers on loopback that
speak the real wire protocols, so that the official client libraries talk to them unchanged.
Used by the tests, the demo and the benchmarks; with latency and fault injection."""
