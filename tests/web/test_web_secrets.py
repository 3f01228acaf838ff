"""Secrets (Stripe and HubSpot keys) come from Secret Manager in production, from a local file
or the environment elsewhere, and never reach the sheet, the sidebar (a response), the job
store or a log."""

import json
import logging
import pickle

import pytest

from backend.jobs.actions import ACTIONS, Action
from backend.secrets import (EnvSecrets, FileSecrets, Secret, SecretManagerSecrets,
                             SecretMissing, scrub, secret_source_from_env)
from conftest import HUBSPOT_SECRET, STRIPE_SECRET


def test_a_secret_prints_masked_and_is_not_pickled():
    secret = Secret("demo-stripe-key", "sk_live_abcdef123456")
    assert repr(secret) == str(secret) == "Secret('demo-stripe-key', ***)"
    assert "abcdef" not in f"{secret} {secret!r} {[secret]} {({'k': secret})}"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert secret.reveal() == "sk_live_abcdef123456"
    assert scrub("Invalid key sk_live_abcdef123456 given") == "Invalid key *** given"


def test_environment_secrets():
    source = EnvSecrets({"DEMO_STRIPE_KEY": "sk_test_from_env_123"})
    assert source.get("demo-stripe-key").reveal() == "sk_test_from_env_123"
    with pytest.raises(SecretMissing, match=r"\$DEMO_HUBSPOT_TOKEN"):
        source.get("demo-hubspot-token")


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_file_secrets(tmp_path, suffix):
    path = tmp_path / f"secrets{suffix}"
    path.write_text('{"demo-stripe-key": "sk_test_from_file_1"}' if suffix == ".json"
                    else '"demo-stripe-key" = "sk_test_from_file_1"\n', encoding="utf-8")
    source = FileSecrets(path)
    assert source.get("demo-stripe-key").reveal() == "sk_test_from_file_1"
    with pytest.raises(SecretMissing):
        source.get("other")
    path.write_text('{"demo-stripe-key": "sk_test_half_written', encoding="utf-8")
    with pytest.raises(SecretMissing) as refused:
        source.get("demo-stripe-key")
    assert "half_written" not in str(refused.value)       # a parse error quoting the file: not passed on
    with pytest.raises(SecretMissing):
        FileSecrets(tmp_path / "missing.json").get("demo-stripe-key")


class FakeSecretManager:
    def __init__(self, values):
        self.values = values
        self.requests = []

    def access_secret_version(self, request):
        self.requests.append(request["name"])
        name = request["name"].split("/")[3]
        if name not in self.values:
            raise LookupError(f"404 Secret [{request['name']}] not found or has no versions")

        class Payload:
            data = self.values[name].encode()

        class Answer:
            payload = Payload()
        return Answer()


def test_secret_manager_reads_the_latest_version_and_caches_it():
    client = FakeSecretManager({"demo-stripe-key": "sk_live_from_secret_manager\n"})
    now = [0.0]
    source = SecretManagerSecrets("my-project", client=client, ttl=300, clock=lambda: now[0])
    assert source.get("demo-stripe-key").reveal() == "sk_live_from_secret_manager"
    assert client.requests == ["projects/my-project/secrets/demo-stripe-key/versions/latest"]
    source.get("demo-stripe-key")
    assert len(client.requests) == 1, "cached"
    now[0] = 301.0
    source.get("demo-stripe-key")
    assert len(client.requests) == 2, "a rotation is picked up after the cache time"
    with pytest.raises(SecretMissing, match="Secret Manager"):
        source.get("absent")


def test_where_secrets_come_from():
    assert isinstance(secret_source_from_env({"BACKEND_ENV": "production",
                                              "GOOGLE_CLOUD_PROJECT": "p"}), SecretManagerSecrets)
    assert isinstance(secret_source_from_env({"SECRETS_FILE": "x.json"}), FileSecrets)
    assert isinstance(secret_source_from_env({}), EnvSecrets)
    assert isinstance(secret_source_from_env({"SECRETS": "env", "BACKEND_ENV": "production"}), EnvSecrets)
    with pytest.raises(ValueError):
        secret_source_from_env({"SECRETS": "vault"})


def leaky(conn, progress):
    """An action that fails with its key in the message, as a careless library might."""
    key = conn.secret("stripe").reveal()
    hubspot = conn.secret("hubspot").reveal()
    raise RuntimeError(f"connection refused for key {key} / {hubspot}")


def test_secrets_reach_no_response_no_log_no_sheet_no_job(make_web, caplog):
    caplog.set_level(logging.DEBUG)
    actions = dict(ACTIONS, leaky=Action("leaky", "Fuite", leaky))
    web = make_web(ACTIONS=actions)
    for action, params in [("generate", {}), ("dedupe", {}), ("validate", {}),
                           ("export", {"month": "2026-10"}), ("sync_products", {}),
                           ("sync_customers", {}), ("leaky", {})]:
        job = web.run(action, params)
        if action == "leaky":
            assert job["message"] == ("Fuite : erreur inattendue ; elle est enregistrée dans le "
                                      "journal du serveur.")
        else:
            assert job["state"] == "done", job
        for name in job["files"]:
            web.get(f"/jobs/{job['id']}/files/{name['name']}")
    web.sandbox.stripe.api_key = "sk_test_another_key_entirely"      # Stripe now refuses ours
    assert web.run("generate")["state"] == "failed"
    web.get("/status")

    seen = {
        "responses": "\n".join(answer.get_data().decode("latin-1") for answer in web.calls),
        "log": caplog.text,
        "sheet": json.dumps(web.sheet(), default=str, ensure_ascii=False),
        "jobs": repr(web.backend.job_store().latest("demo", 100)),
        "runs": repr(web.store.runs("demo", 100)),
    }
    assert "connection refused for key *** / ***" in seen["log"], "the failure is logged, scrubbed"
    for where, text in seen.items():
        for secret in (STRIPE_SECRET, HUBSPOT_SECRET):
            assert secret not in text, f"a secret in the {where}"
            assert secret[8:] not in text, f"most of a secret in the {where}"
