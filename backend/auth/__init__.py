"""Who may call the backend: the companies it serves (`companies.py`), Google ID tokens
(`tokens.py`) and the rules that tie a verified caller to a company (`access.py`).
`local_issuer.py` signs tokens with a local key for the tests and the local preview."""
