"""A local stand-in for Google's token issuer: an RSA key made on the spot, its certificate
served on loopback in the format of https://www.googleapis.com/oauth2/v1/certs, and tokens
signed with it. For the tests and the local preview only: production verifies against
Google's certificates and accepts no other key.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ISSUER = "https://accounts.google.com"


class LocalIssuer:
    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local-token-issuer")])
        now = datetime.now(timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
                .sign(key, hashes.SHA256()))
        self.key_id = uuid.uuid4().hex
        self._private_pem = key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
        self.certificate_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        self._server: ThreadingHTTPServer | None = None
        self.certs_url = ""

    def certs(self) -> dict[str, str]:
        return {self.key_id: self.certificate_pem}

    def sign(self, claims: dict) -> str:
        from google.auth import crypt, jwt
        signer = crypt.RSASigner.from_string(self._private_pem, key_id=self.key_id)
        return jwt.encode(signer, claims).decode()

    def token(self, email: str, audience: str, lifetime: int = 3600, email_verified=True,
              issuer: str = ISSUER, issued_at: int | None = None, **extra) -> str:
        """An ID token as Google shapes them (Apps Script's, or an OIDC token of a service)."""
        now = int(time.time()) if issued_at is None else issued_at
        claims = {"iss": issuer, "aud": audience, "azp": audience, "sub": f"local-{email}",
                  "email": email, "email_verified": email_verified, "iat": now,
                  "exp": now + lifetime, **extra}
        return self.sign({k: v for k, v in claims.items() if v is not None})

    # --- the certificates endpoint -------------------------------------------------------

    def serve(self) -> "LocalIssuer":
        body = json.dumps(self.certs()).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=300")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True,
                         name="local-token-issuer").start()
        self.certs_url = f"http://127.0.0.1:{self._server.server_address[1]}/oauth2/v1/certs"
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "LocalIssuer":
        return self.serve()

    def __exit__(self, *exc) -> None:
        self.stop()
