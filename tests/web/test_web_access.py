"""Every route but the health check needs a verified caller: a Google ID token for an accepted
audience, not expired, with a verified email allowed for the company whose spreadsheet the
request names. Each way of getting it wrong is refused, and nothing runs."""

import time

import pytest

from backend.auth.local_issuer import LocalIssuer
from conftest import CLIENT_ID, DEMO_SHEET, OTHER_SHEET, OTHER_USER, SERVICE_ACCOUNT, SERVICE_AUDIENCE, USER


def jobs_started(web) -> int:
    return len(web.backend.job_store().latest("demo", 100)) + len(
        web.backend.job_store().latest("atelier", 100))


def test_a_valid_caller_is_served(web):
    answer = web.post("/actions/validate")
    assert answer.status_code == 202
    assert answer.get_json()["job"]["trigger"] == f"{USER} (panneau)"


REFUSALS = {
    "no token": (dict(email=None), 401),
    "not a bearer token": (dict(token="Basic dXNlcjpwYXNz"), 401),
    "garbage": (dict(token="not.a.token"), 401),
    "wrong audience": (dict(audience="another-app.apps.googleusercontent.com"), 401),
    "expired": (dict(issued_at=int(time.time()) - 7200, lifetime=3600), 401),
    "unverified email": (dict(email_verified=False), 401),
    "no email": (dict(email_verified=None, email=""), 401),
    "wrong issuer": (dict(issuer="https://issuer.example.test"), 401),
    "unknown email": (dict(email="intrus@example.com"), 403),
    "another company's user": (dict(email=OTHER_USER), 403),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refused_tokens(web, case, caplog):
    claims, status = REFUSALS[case]
    claims = dict(claims)
    token = claims.pop("token", None)
    email = claims.pop("email", USER)
    if token is None and email is not None:
        token = web.issuer.token(email or "x@example.com", claims.pop("audience", CLIENT_ID), **claims) \
            if email != "" else web.issuer.sign({"iss": "https://accounts.google.com", "aud": CLIENT_ID,
                                                 "iat": int(time.time()), "exp": int(time.time()) + 600})
    headers = {"Authorization": token if token.startswith("Basic") else f"Bearer {token}"} if token else {}
    answer = web.client.post("/actions/generate", json={"spreadsheet_id": DEMO_SHEET}, headers=headers)
    assert answer.status_code == status, answer.get_json()
    body = answer.get_json()
    assert body["code"] == ("unauthenticated" if status == 401 else "forbidden")
    assert body["error"]                       # French, for the sidebar
    assert jobs_started(web) == 0
    assert "refused POST /actions/generate" in caplog.text
    if token and len(token) > 40:      # a real JWT: neither it nor its signature is logged
        assert token not in caplog.text and token.split(".")[-1] not in caplog.text


def test_a_token_signed_by_another_key_is_refused(web):
    with LocalIssuer() as stranger:        # same claims, another key: the signature fails
        token = stranger.token(USER, CLIENT_ID)
    assert web.post("/actions/generate", token=token).status_code == 401


def test_another_companys_spreadsheet_is_refused(web):
    # The demo accountant names the other company's spreadsheet...
    assert web.post("/actions/generate", spreadsheet=OTHER_SHEET).status_code == 403
    # ...or names her company with the other company's spreadsheet.
    assert web.post("/actions/generate", {"company": "demo"}, spreadsheet=OTHER_SHEET).status_code == 403
    # ...or names the other company with her spreadsheet.
    assert web.post("/actions/generate", {"company": "atelier"}).status_code == 403
    # An unknown spreadsheet, or none.
    assert web.post("/actions/generate", spreadsheet="sheet-of-nobody").status_code == 403
    assert web.post("/actions/generate", spreadsheet=None).status_code == 403
    assert jobs_started(web) == 0
    # Each company's own user is served.
    assert web.post("/actions/validate", spreadsheet=OTHER_SHEET, email=OTHER_USER).status_code == 202


def test_a_company_with_its_own_client_ids_accepts_only_those(make_web):
    from dataclasses import replace

    from conftest import demo_companies
    from backend.auth.companies import Companies
    companies = Companies([replace(c, client_ids=("own-client.apps.googleusercontent.com",))
                           if c.id == "demo" else c for c in demo_companies()])
    web = make_web(COMPANIES=companies)
    assert web.post("/actions/validate", audience=CLIENT_ID).status_code == 403
    assert web.post("/actions/validate", audience="own-client.apps.googleusercontent.com").status_code == 202


def test_no_configured_audience_refuses_everything(make_web):
    web = make_web(ID_TOKEN_AUDIENCES=[])
    assert web.post("/actions/validate").status_code == 401


def test_every_route_but_the_health_check_needs_a_caller(web):
    """The webhooks are the other exception: their caller proves itself by the delivery's
    signature (401 without it: tests/web/test_web_webhooks.py)."""
    rules = [r for r in web.app.url_map.iter_rules() if r.endpoint != "static"]
    assert {r.rule for r in rules} >= {"/healthz", "/actions/<name>", "/jobs/<job_id>",
                                       "/jobs/<job_id>/files/<name>", "/status", "/tasks/run",
                                       "/scheduler/generate"}
    assert not any(r.rule.startswith("/preview") for r in rules), "no preview unless asked"
    for rule in rules:
        path = (rule.rule.replace("<name>", "generate").replace("<job_id>", "x")
                .replace("<company_id>", "demo"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            answer = web.client.open(path, method=method, json={"spreadsheet_id": DEMO_SHEET})
            if rule.rule == "/healthz":
                assert answer.status_code == 200
            else:
                assert answer.status_code == 401, (method, path)


def test_user_tokens_do_not_open_the_service_routes(web):
    user = web.issuer.token(USER, SERVICE_AUDIENCE)     # a person, even for the right audience
    assert web.post("/scheduler/generate", token=user).status_code == 403
    assert web.post("/tasks/run", {"job_id": "x"}, token=web.token()).status_code == 401
    service = web.issuer.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE)
    assert web.post("/actions/generate", token=service).status_code == 401   # not a client id


def test_service_tokens_are_checked_like_the_others(web):
    wrong_audience = web.issuer.token(SERVICE_ACCOUNT, "https://elsewhere.example.test")
    expired = web.issuer.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE, issued_at=int(time.time()) - 7200)
    for token in (wrong_audience, expired):
        assert web.post("/scheduler/generate", token=token).status_code == 401
    assert jobs_started(web) == 0


def test_a_malformed_token_is_not_quoted_in_the_log(web, caplog):
    # google-auth quotes a token with the wrong number of segments in its error message.
    token = "eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImNvbXB0YWJsZUBleGFtcGxlLmNvbSJ9"
    answer = web.post("/actions/generate", token=token)
    assert answer.status_code == 401
    assert "refused POST /actions/generate: invalid token" in caplog.text
    for piece in [token, *token.split(".")]:
        assert piece not in caplog.text
