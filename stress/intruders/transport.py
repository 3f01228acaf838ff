"""Talking to the app: every request sent through a transport, every answer kept (the secret
search reads them). Flask's test client for the matrix (fast and deterministic), the app served
by werkzeug on loopback for real HTTP (and werkzeug's own request log)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def text(self) -> str:
        """Everything the caller receives, for the secret search (bytes as latin-1: any
        ASCII piece of a secret stays findable whatever the encoding)."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers)
        return f"{self.status}\n{head}\n\n{self.body.decode('latin-1')}"


class Transport:
    """Sends requests to the app and keeps every answer (the secret search reads them)."""
    base = "http://localhost"        # what the app sees as its own address; HubSpot signs
                                     # the public one (SERVICE_AUDIENCE)

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.authorizations: set[str] = set()      # every Authorization header sent

    def send(self, method: str, path: str, headers: dict | None = None,
             query: dict | None = None, json_body=None, data: bytes | None = None) -> Answer:
        if headers and headers.get("Authorization"):
            self.authorizations.add(headers["Authorization"])
        answer = self._send(method, path, dict(headers or {}), query, json_body, data)
        self.answers.append(answer)
        return answer

    def _send(self, method, path, headers, query, json_body, data) -> Answer:
        raise NotImplementedError


class ClientTransport(Transport):
    """Flask's test client: the whole app, no socket (the matrix: fast and deterministic)."""

    def __init__(self, app) -> None:
        super().__init__()
        self.app = app

    def _send(self, method, path, headers, query, json_body, data) -> Answer:
        kwargs = {"headers": headers, "query_string": query}
        if data is not None:
            kwargs.update(data=data, content_type=headers.pop("Content-Type", "application/json"))
        elif json_body is not None:
            kwargs["json"] = json_body
        response = self.app.test_client().open(path, method=method, **kwargs)
        return Answer(response.status_code, list(response.headers.items()), response.get_data())


class HttpTransport(Transport):
    """The app served by werkzeug on loopback and called with `requests`: real HTTP, and
    werkzeug's own request log."""

    def __init__(self, app) -> None:
        super().__init__()
        import requests
        from werkzeug.serving import make_server
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.session = requests.Session()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="stress-intruders-app")
        self.thread.start()

    def _send(self, method, path, headers, query, json_body, data) -> Answer:
        response = self.session.request(method, self.base + path, headers=headers, params=query,
                                        json=json_body if data is None else None, data=data,
                                        timeout=120)
        return Answer(response.status_code, list(response.headers.items()), response.content)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.session.close()
        self.thread.join(5)
