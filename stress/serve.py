"""The Flask app served over real HTTP on loopback, so that floods go through sockets, not
Flask's test client: concurrency, keep-alive and slow answers are real.

- `Served(app)`: werkzeug's threaded server in a thread of this process (one thread per
  connection); quick to start, for the quiet reference runs.
- `Gunicorn(config)`: the app as App Engine serves it (app.yaml: gunicorn, 2 workers of 8
  threads), in processes of its own, built from `config` (World.config(), with the ledger
  store given by its URL). Jobs then run in the workers, and share with this process only
  the database (jobs, ledger) and the sandboxes (over HTTP).

    with Served(world.app) as server:            # or Gunicorn(served_config(world))
        requests.get(server.url + "/healthz")
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

WORKERS, THREADS = 2, 8          # app.yaml's entrypoint


class _KeepAlive(WSGIRequestHandler):
    # HTTP/1.1: a client's connection is kept between requests, as App Engine's front end
    # does; with HTTP/1.0 a 200-requests-a-second poll would open 200 sockets a second.
    protocol_version = "HTTP/1.1"

    def log_request(self, *args, **kwargs) -> None:
        pass   # one line per request: thousands during a flood, none of them useful


class Served:
    def __init__(self, app, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self._server = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Served":
        self._server = make_server(self.host, 0, self.app, threaded=True,
                                   request_handler=_KeepAlive)
        # Daemon threads: a kept-alive connection never blocks the campaign's exit.
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="stress-http",
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._server.server_port}"

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


def served_config(world) -> dict:
    """The World's app config, fit to cross to another process: the ledger store by URL (each
    process opens its own engine on the same database)."""
    config = world.config()
    config.pop("LEDGER_STORE")
    config["DATABASE_URL"] = world.store.engine.url.render_as_string(hide_password=False)
    return config


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def run_gunicorn(config: dict, host: str, port: int, workers: int, threads: int) -> None:
    """In the server's process: the app built once, then gunicorn's master forks the workers
    (preload, as `gunicorn "backend.web:create_app()"` with --preload)."""
    from gunicorn.app.base import BaseApplication

    from backend.jobs import gunicorn_conf
    from backend.web import create_app
    app = create_app(config)

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                               "timeout": 0, "graceful_timeout": 5, "preload_app": True,
                               "loglevel": "warning", "accesslog": None,
                               # app.yaml's --config: SIGTERM ends the jobs cleanly,
                               # gunicorn's own lines as JSON like the app's
                               "logconfig_dict": gunicorn_conf.logconfig_dict,
                               "post_worker_init": gunicorn_conf.post_worker_init,
                               "worker_exit": gunicorn_conf.worker_exit}.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    Application().run()


class Gunicorn:
    def __init__(self, config: dict, host: str = "127.0.0.1", workers: int = WORKERS,
                 threads: int = THREADS) -> None:
        self.config, self.host, self.workers, self.threads = config, host, workers, threads
        self.port = 0
        self._child = None
        self._stopped = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> "Gunicorn":
        from stress.processes import Child
        self.port = _free_port(self.host)
        self._child = Child(run_gunicorn, self.config, self.host, self.port, self.workers,
                            self.threads).start()
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if not self._child.process.is_alive() or time.monotonic() > deadline:
                outcome = self._exit()
                raise RuntimeError(f"gunicorn did not start: {outcome.state} {outcome.value}")
            time.sleep(0.1)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM to the master, as App Engine stops an instance (gunicorn's graceful stop):
        the master's exit code once it exited by itself (0 after a graceful stop), or None if
        it still ran after `timeout` seconds (it is then killed). A second call answers the
        same."""
        if self._stopped is None:
            process = self._child.process
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
            process.join(timeout)
            code = process.exitcode
            if code is None:
                self._child.kill()
            # What the process sent (a worker's exit may be first: the workers are forks of
            # this function's process), and the pipe closed.
            self._outcome = self._child.wait(timeout=5)
            self._stopped = (code,)
        return self._stopped[0]

    def _exit(self):
        self.stop()
        return self._outcome

    def __exit__(self, *exc) -> None:
        self.stop()
