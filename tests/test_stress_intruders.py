"""Issue 7, part 4: intruders on every route, and no secret anywhere (stress/intruders/).

The campaign at CI size, then its detectors: a matrix run on an app with a door left open, a
route nobody thought of and a store that forgets deliveries must count each defect; a secret
planted in a log line, an answer, a cell, a job or a store row must be found."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from google.auth import jwt as google_jwt

from backend.web import create_app
from stress import intruders as I
from stress.world import (CLIENT_ID, HUBSPOT_APP_SECRET, HUBSPOT_SECRET, SECRETS, STRIPE_SECRET,
                          STRIPE_WEBHOOK_SECRET, World)


def test_intruders_campaign_ci_size(campaign_figures):
    result = I.campaign(full=False, progress=lambda message: None)
    print("\n".join(result.lines()))
    campaign_figures(result)
    assert result.ok, result.failures[:10]
    assert result.figures["wrong answers"] == 0
    assert result.figures["secret occurrences found"] == 0
    assert result.figures["log lines searched"] > 100
    assert result.figures["spreadsheet cells searched"] > 1000


def test_forged_tokens_differ_from_a_valid_one_only_where_they_say():
    """An intruder that is refused for another reason than the one it stands for proves
    nothing: the unsigned and key-confusion tokens carry exactly the valid claims."""
    with World(companies=2, dispatch="inline") as world:
        ctx = I.make_context(world, I.ClientTransport(world.app))
        valid = google_jwt.decode(world.token(ctx.user), verify=False)
        by_name = {i.name: i for i in I.INTRUDERS}
        route = I.ROUTES["actions.start"]
        for name in ("unsigned token (alg: none)",
                     "HS256 keyed with the public certificate (key confusion)",
                     "signed with another RSA key", "another RSA key under the issuer's key id"):
            attempt = by_name[name].build(ctx, route, "/actions/generate")
            token = attempt.headers["Authorization"].removeprefix("Bearer ")
            forged = google_jwt.decode(token, verify=False)
            assert {k: v for k, v in forged.items() if k not in ("iat", "exp")} == \
                {k: v for k, v in valid.items() if k not in ("iat", "exp")}, name
        header = google_jwt.decode_header(
            by_name["HS256 keyed with the public certificate (key confusion)"]
            .build(ctx, route, "/actions/generate").headers["Authorization"][7:])
        assert header == {"alg": "HS256", "typ": "JWT", "kid": world.issuer.key_id}


def test_the_matrix_counts_every_kind_of_defect():
    """One run, three planted defects, each counted by its own counter: the app accepts the
    wrong audience (wrong answers, jobs run), it serves a route the matrix has no
    expectation for, and the store forgets deliveries between a delivery and its replay."""
    with World(companies=3, dispatch="inline") as world:
        config = world.config()
        config["ID_TOKEN_AUDIENCES"] = [CLIENT_ID, I.OTHER_CLIENT]      # the door left open
        world.app = create_app(config)
        world.app.add_url_rule("/extra", "extra.page", lambda: "nobody expects me")

        def forget_deliveries(w):
            from backend.store.schema import webhook_deliveries
            with w.store.engine.begin() as conn:
                conn.execute(sa.delete(webhook_deliveries))

        ctx = I.make_context(world, I.ClientTransport(world.app))
        ctx.after_prime = forget_deliveries
        I.prepare(ctx)
        out = I.run_matrix(ctx, full=False, progress=lambda message: None)

    assert out.uncovered == ["/extra (extra.page)"]
    assert out.routes == 10 and out.routes_covered == 9
    opened = [line for line in out.wrong if line.startswith("wrong audience on ")]
    assert any(line.startswith("wrong audience on POST /actions/generate: status 202") and
               "jobs created 1" in line for line in opened), opened
    assert any(line.startswith("wrong audience on GET /status: status 200") for line in opened)
    assert out.ran["jobs created"] >= 2 and out.ran["sandbox calls"] > 0, (out.ran, out.wrong)
    assert out.applied_twice == out.replays == 4
    # Nothing else went wrong: each counter saw its own defect only.
    others = [line for line in out.wrong if not line.startswith(("wrong audience on ",
                                                                 "replayed delivery"))]
    assert others == []


def test_the_search_finds_a_secret_wherever_it_is_planted():
    with I.capture_logs() as logs, World(companies=2, dispatch="inline") as world:
        transport = I.ClientTransport(world.app)
        wanted, left_out = I.needles(SECRETS, I.secret_names(world))
        assert left_out > 0, "the pieces of 'hubspot-app-secret' (a public name) are left out"
        clean = I.search(I.collect(world, logs, [transport]), wanted)
        assert clean == []

        # Pieces of one secret each (the World's secrets share "never-shown-": a find of that
        # piece is rightly counted for both).
        piece = STRIPE_SECRET[10:10 + I.WINDOW]          # any 12 characters are enough
        logging.getLogger("stress.planted").debug("calling with %s", HUBSPOT_SECRET[:16])
        world.sandbox.sheet_adapter(world.sheets[1]).append("Feuille 1", [["note", piece]])
        answer = transport.send("POST", f"/actions/{HUBSPOT_APP_SECRET[-13:]}",
                                I._valid(I.make_context(world, transport)),
                                json_body={"spreadsheet_id": world.sheets[0]})
        assert answer.status == 404           # the unknown action's name is echoed back
        (authorization,) = transport.authorizations
        wanted[I.TOKEN_LABEL] = I.token_signatures([transport])
        logging.getLogger("stress.planted").info("header %s", authorization)
        world.store.set_cursor("demo", "planted", f"x{STRIPE_WEBHOOK_SECRET}x")
        from datetime import datetime, timezone

        from backend.jobs.model import Job
        from backend.jobs.runner import STALE_AFTER
        world.backend.job_store().create(Job.new("societe2", "validate", {"key": piece.upper()},
                                                 "planted", datetime.now(timezone.utc)),
                                         STALE_AFTER)
        leaks = I.search(I.collect(world, logs, [transport]), wanted)

    found = {(leak.category, leak.secret) for leak in leaks}
    assert found == {(I.LOGS, "HubSpot token"), (I.LOGS, I.TOKEN_LABEL), (I.CELLS, "Stripe API key"),
                     (I.RESPONSES, "HubSpot app secret"), (I.STORE, "Stripe webhook secret"),
                     (I.JOBS, "Stripe API key")}, found
    assert leaks and all("*" * I.WINDOW in leak.excerpt for leak in leaks)
    pieces = [p for group in wanted.values() for p in group]
    assert not any(p in leak.excerpt.lower() for leak in leaks for p in pieces), "masked"


def test_the_secret_search_counts_every_occurrence_once_per_item():
    evidence = I.Evidence()
    evidence.add(I.LOGS, "line 1", f"key {STRIPE_SECRET} and again {STRIPE_SECRET}")
    evidence.add(I.LOGS, "line 2", "nothing here")
    evidence.add(I.LOGS, "line 3", "Basic " + __import__("base64").b64encode(
        f"{STRIPE_SECRET}:".encode()).decode())
    evidence.add(I.LOGS, "line 4", "masked sk_test_****************************e7Qx")
    wanted, _ = I.needles(SECRETS, [])
    leaks = I.search(evidence, wanted)
    assert sorted(leak.where for leak in leaks) == ["line 1", "line 3"]


def test_an_unknown_key_id_refetches_googles_certificates_at_most_once_a_minute():
    """The campaign found each token naming an unknown key id made the backend fetch Google's
    certificates again (10 fetches in one matrix): anyone could make it call out at will."""
    from backend.auth.local_issuer import LocalIssuer
    from backend.auth.tokens import CachingRequest, TokenRejected, TokenVerifier

    now = [1000.0]
    fetches = I.CountingRequest()
    with LocalIssuer() as issuer:
        verifier = TokenVerifier(issuer.certs_url, CachingRequest(fetches), clock=lambda: now[0])
        stranger = LocalIssuer()                           # its key id is unknown here
        assert verifier.verify(issuer.token("a@b.test", CLIENT_ID), [CLIENT_ID]).email == "a@b.test"
        assert fetches.calls == 1
        for _ in range(5):
            try:
                verifier.verify(stranger.token("a@b.test", CLIENT_ID), [CLIENT_ID])
            except TokenRejected:
                pass
            else:
                raise AssertionError("a token of another key was accepted")
        assert fetches.calls == 2, "one refetch for five unknown key ids"
        now[0] += 61
        try:
            verifier.verify(stranger.token("a@b.test", CLIENT_ID), [CLIENT_ID])
        except TokenRejected:
            pass
        assert fetches.calls == 3, "a minute later, a rotation can be picked up again"
        assert verifier.verify(issuer.token("a@b.test", CLIENT_ID), [CLIENT_ID])
