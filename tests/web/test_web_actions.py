"""Each action end to end through the web layer: the request a sidebar button makes, the job,
its progress and result, on the demo company in the sandboxes (the production adapters over
HTTP). Jobs run inline here (InlineDispatcher); the Chromium tests run them in a thread."""

from datetime import datetime, timedelta, timezone

from conftest import (
    DEMO_SHEET,
    OTHER_SHEET,
    OTHER_USER,
    SERVICE_ACCOUNT,
    SERVICE_AUDIENCE,
    USER,
)

from backend.jobs.dispatch import CloudTasksDispatcher


def test_status_before_anything(web):
    status = web.get("/status").get_json()
    assert status["company"] == {"id": "demo", "name": "La Maison du Coworking"}
    assert status["email"] == USER
    assert [a["name"] for a in status["actions"]] == [
        "sync_products", "sync_customers", "generate", "dedupe", "validate", "export",
        "export_fec_year", "check"]
    assert all(a["available"] for a in status["actions"])
    assert status["active_job"] is None and status["last_job"] is None
    assert status["last_generation"] is None and status["anomalies"] is None
    from backend.jobs.actions import previous_month
    assert status["export_month"] == previous_month(datetime.now(timezone.utc), "Europe/Paris")


def test_generate_writes_the_entries_and_reports_them(web):
    job = web.run("generate")
    assert job["state"] == "done" and job["outcome"] == "ok"
    assert job["message"] == ("498 écriture(s) ajoutée(s) (1722 lignes) ; 4 anomalie(s) ; "
                              "505 document(s) Stripe lus")
    assert job["anomalies"] == 4 and job["percent"] == 100
    assert job["summary"]["entries_written"] == 498
    assert job["label"] == "Générer les écritures"
    tabs = web.sheet()
    assert len(tabs["Écritures"]) == 1723 and len(tabs["Anomalies"]) == 5
    assert tabs["Historique"][-1][1:3] == [f"{USER} (panneau)", "Génération des écritures"]
    status = web.get("/status").get_json()
    assert status["anomalies"] == 4
    assert status["last_job"]["id"] == job["id"]
    assert status["last_generation"]["trigger"] == f"{USER} (panneau)"
    # Settings come from the sheet's Paramètres tab: the accountant changes the journal code.
    settings = web.sandbox.sheet_adapter(DEMO_SHEET)
    rows = settings.read(["Paramètres"])["Paramètres"]
    assert rows[1][:2] == ["journal_code", "VT"]


def set_parameter(web, key: str, value: str) -> None:
    from backend.services.generate import settings_spec
    sheet = web.sandbox.sheet_adapter(DEMO_SHEET)
    rows = sheet.read(["Paramètres"])["Paramètres"]
    body = [[r[0], value if r[0] == key else r[1], *r[2:]] for r in rows[1:]]
    sheet.replace(settings_spec(), body)


def test_settings_are_read_from_the_parametres_tab(web):
    web.run("generate")                 # creates the tab with the company's settings
    set_parameter(web, "fec_separator", "|")
    export = web.run("export", {"month": "2026-10"})
    fec = web.get(f"/jobs/{export['id']}/files/FEC-extrait-918345620-2026-10.txt")
    assert fec.data.startswith(b"JournalCode|JournalLib|")
    set_parameter(web, "timezone", "Mars/Olympus")
    refused = web.run("validate")
    assert (refused["state"], refused["outcome"]) == ("done", "refused")
    assert refused["message"] == ("Paramètres invalides : Paramètres!B11 : fuseau horaire "
                                  "inconnu : « Mars/Olympus »")


def test_dedupe_validate_and_export(web):
    web.run("generate")
    dedupe = web.run("dedupe")
    assert (dedupe["outcome"], dedupe["message"]) == ("ok", "Aucun doublon")
    assert dedupe["summary"] == {"pieces": 0, "rows_removed": 0}
    validate = web.run("validate")
    assert validate["message"] == "Journal équilibré : 498 pièce(s), 1722 ligne(s) vérifiées"
    export = web.run("export", {"month": "2026-10"})
    assert export["outcome"] == "ok"
    assert [f["name"] for f in export["files"]] == ["inexweb-2026-10.txt",
                                                    "FEC-extrait-918345620-2026-10.txt"]
    answer = web.get(f"/jobs/{export['id']}/files/inexweb-2026-10.txt")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/plain; charset=windows-1252"
    assert answer.headers["Content-Disposition"] == "attachment; filename=inexweb-2026-10.txt"
    assert answer.data.startswith("Date\tCode journal\tPièce".encode("cp1252"))
    assert answer.data.count(b"\r\n") == 1720
    fec = web.get(f"/jobs/{export['id']}/files/FEC-extrait-918345620-2026-10.txt")
    assert fec.data.startswith(b"JournalCode\tJournalLib")
    actions = [row[2] for row in web.sheet()["Historique"][1:]]
    assert actions == ["Génération des écritures", "Suppression des doublons",
                       "Contrôle de l'équilibre", "Export du mois d'octobre 2026"]


def test_dedupe_removes_a_piece_written_twice(web):
    web.run("generate")
    sheet = web.sandbox.sheet_adapter(DEMO_SHEET)
    rows = sheet.read(["Écritures"])["Écritures"]
    sheet.append("Écritures", rows[1:4])                 # the first pièce, pasted again
    job = web.run("dedupe")
    assert job["message"] == f"1 pièce(s) en double, 3 ligne(s) supprimée(s) : {rows[1][3]}"
    assert job["summary"] == {"pieces": 1, "rows_removed": 3}
    assert len(sheet.read(["Écritures"])["Écritures"]) == 1723
    assert web.run("dedupe")["message"] == "Aucun doublon"


def test_export_refusals_are_plain_french(web):
    refused = web.run("export", {"month": "2026-10"})          # nothing generated yet
    assert (refused["state"], refused["outcome"]) == ("done", "refused")
    assert refused["message"].startswith("Aucune écriture datée d'octobre 2026 dans la feuille")
    bad = web.post("/actions/export", {"params": {"month": "octobre"}})
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "Mois invalide « octobre » : attendu AAAA-MM, par exemple 2026-10."


def test_sync_products_then_customers_from_hubspot_into_stripe(web):
    products = web.run("sync_products")
    assert (products["state"], products["outcome"]) == ("done", "ok")
    # "relié(s)" means nothing for products: not said (issue 14).
    assert products["message"].startswith("2 créé(s), 1 mis à jour, 0 archivé(s), "
                                          "0 conflit(s) à arbitrer. Créés : produit ")
    assert products["summary"]["created"] == 2
    customers = web.run("sync_customers")
    assert customers["message"].startswith("5 créé(s), 59 mis à jour, 2 relié(s)")
    assert customers["summary"]["calls"]["stripe"] > 0
    again = web.run("sync_products")
    assert again["message"] == "0 créé(s), 0 mis à jour, 0 archivé(s), 0 conflit(s) à arbitrer"
    history = [row[1:3] for row in web.sheet()["Historique"][1:]]
    assert history == [[f"{USER} (panneau)", "Synchronisation HubSpot–Stripe"]] * 3
    # The journal after the sync: the same entries as without it.
    assert web.run("generate")["anomalies"] == 4


def test_an_action_not_there_yet_says_so_and_changes_nothing(make_web):
    from backend.jobs.actions import ACTIONS, Action, not_yet
    actions = dict(ACTIONS, payouts=Action("payouts", "Rapprocher les virements",
                                           not_yet("Le rapprochement des virements"),
                                           available=False))
    web = make_web(ACTIONS=actions)
    assert web.get("/status").get_json()["actions"][-1] == {
        "name": "payouts", "label": "Rapprocher les virements", "available": False}
    job = web.run("payouts")
    assert (job["state"], job["outcome"]) == ("done", "unavailable")
    assert job["message"] == ("Le rapprochement des virements n'est pas encore disponible. "
                              "Rien n'a été modifié.")
    assert "Historique" not in web.sheet(), "nothing was written to the sheet"


def test_unknown_action_job_and_file(web):
    assert web.post("/actions/make_coffee").status_code == 404
    assert web.get("/jobs/0123456789abcdef").status_code == 404
    job = web.run("dedupe")
    assert web.get(f"/jobs/{job['id']}/files/secret.txt").status_code == 404
    # The other company's accountant cannot see the demo company's job.
    assert web.get(f"/jobs/{job['id']}", spreadsheet=OTHER_SHEET, email=OTHER_USER).status_code == 404


def test_the_daily_trigger_is_labelled_and_only_for_generate(web):
    answer = web.post("/actions/generate", {"trigger": "daily"})
    assert answer.status_code == 202
    assert answer.get_json()["job"]["trigger"] == f"déclencheur quotidien ({USER})"
    assert web.sheet()["Historique"][-1][1] == f"déclencheur quotidien ({USER})"
    assert web.post("/actions/export", {"trigger": "daily"}).status_code == 400


def test_a_service_failure_reads_plainly_and_the_next_run_goes_on(web):
    web.sandbox.stripe.api_key = "sk_test_rotated_without_telling_us"
    job = web.run("generate")
    assert (job["state"], job["outcome"]) == ("failed", "error")
    assert job["message"] == ("Stripe refuse l'accès avec la clé configurée pour cette société ; "
                              "prévenez la personne qui a installé le service.")
    status = web.get("/status").get_json()
    assert status["active_job"] is None, "a failed job frees the company"
    from conftest import STRIPE_SECRET
    web.sandbox.stripe.api_key = STRIPE_SECRET
    assert web.run("generate")["outcome"] == "ok"


def test_a_missing_secret_names_the_secret_not_a_value(web):
    answer = web.post("/actions/generate", spreadsheet=OTHER_SHEET, email=OTHER_USER)
    job = web.get(f"/jobs/{answer.get_json()['job']['id']}", spreadsheet=OTHER_SHEET,
                  email=OTHER_USER).get_json()["job"]
    # The atelier's key is configured but Stripe (the sandbox) refuses it.
    assert job["state"] == "failed" and "Stripe refuse" in job["message"]


def test_scheduler_starts_the_generation_of_each_company(make_web):
    from backend.jobs.dispatch import ThreadDispatcher
    web = make_web(DISPATCHER=(dispatcher := ThreadDispatcher()))
    token = web.issuer.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE)
    answer = web.post("/scheduler/generate", {"company": "demo"}, token=token, spreadsheet=None)
    assert answer.status_code == 200
    [started] = answer.get_json()["jobs"]
    assert started["company"] == "demo" and started["started"] is True
    dispatcher.wait()
    job = web.backend.job_store().get(started["job"])
    assert job.trigger == "planificateur (Cloud Scheduler)" and job.outcome == "ok"
    both = web.post("/scheduler/generate", token=token, spreadsheet=None).get_json()["jobs"]
    assert [j["company"] for j in both] == ["demo", "atelier"]
    dispatcher.wait()
    assert web.post("/scheduler/generate", {"company": "nope"}, token=token,
                    spreadsheet=None).status_code == 404


class RecordingTasks:
    def __init__(self):
        self.requests = []

    def create_task(self, request):
        self.requests.append(request)


def test_cloud_tasks_carries_the_job_to_tasks_run(make_web):
    tasks = RecordingTasks()
    dispatcher = CloudTasksDispatcher("projects/p/locations/europe-west1/queues/journal",
                                      SERVICE_AUDIENCE, SERVICE_ACCOUNT, client=tasks)
    web = make_web(DISPATCHER=dispatcher)
    answer = web.post("/actions/generate")
    assert answer.status_code == 202
    job_id = answer.get_json()["job"]["id"]
    assert answer.get_json()["job"]["state"] == "queued"
    [request] = tasks.requests
    task = request["task"]
    assert request["parent"] == "projects/p/locations/europe-west1/queues/journal"
    assert task["name"].endswith(f"/tasks/job-{job_id}")
    assert task["http_request"]["url"] == f"{SERVICE_AUDIENCE}/tasks/run"
    assert task["http_request"]["oidc_token"] == {"service_account_email": SERVICE_ACCOUNT,
                                                  "audience": SERVICE_AUDIENCE}
    # Cloud Tasks calls back with the service account's OIDC token: the job runs.
    token = web.issuer.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE)
    body = {"job_id": job_id}
    assert web.client.post("/tasks/run", json=body,
                           headers={"Authorization": f"Bearer {token}"}).status_code == 200
    job = web.get(f"/jobs/{job_id}").get_json()["job"]
    assert job["state"] == "done" and job["anomalies"] == 4
    # A retry of the same task does nothing more.
    assert web.client.post("/tasks/run", json=body,
                           headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert len(web.sheet()["Historique"]) == 2


def test_a_task_for_a_job_running_elsewhere_is_answered_503_for_a_retry(make_web):
    tasks = RecordingTasks()
    dispatcher = CloudTasksDispatcher("projects/p/locations/europe-west1/queues/journal",
                                      SERVICE_AUDIENCE, SERVICE_ACCOUNT, client=tasks)
    web = make_web(DISPATCHER=dispatcher)
    job_id = web.post("/actions/generate").get_json()["job"]["id"]
    b = web.backend
    # Another instance took the job and is alive: this delivery must fail so that Cloud
    # Tasks tries again (it then finds the job over, or its worker silent and takes over).
    b.job_store().claim(job_id, "other-instance:1:1", b.clock(), timedelta(minutes=15))
    token = web.issuer.token(SERVICE_ACCOUNT, SERVICE_AUDIENCE)
    answer = web.client.post("/tasks/run", json={"job_id": job_id},
                             headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 503 and answer.get_json()["code"] == "retry_later"
    assert web.get(f"/jobs/{job_id}").get_json()["job"]["state"] == "running"


def test_a_task_that_cannot_be_queued_frees_the_company(make_web):
    class Broken:
        def create_task(self, request):
            raise RuntimeError("queue does not exist")
    web = make_web(DISPATCHER=CloudTasksDispatcher("projects/p/locations/l/queues/q",
                                                   SERVICE_AUDIENCE, SERVICE_ACCOUNT, client=Broken()))
    job = web.post("/actions/generate").get_json()["job"]
    assert job["state"] == "failed" and "n'a pas pu être lancée" in job["message"]
    assert web.get("/status").get_json()["active_job"] is None


def test_the_daily_run_syncs_hubspot_before_generating(web):
    answer = web.post("/actions/generate", {"trigger": "daily"})
    assert answer.status_code == 202
    history = [row[2] for row in web.sheet()["Historique"][1:]]
    assert history == ["Synchronisation HubSpot–Stripe", "Génération des écritures"]
    job = web.get(f"/jobs/{answer.get_json()['job']['id']}").get_json()["job"]
    assert job["message"].startswith("Synchronisation : 7 créé(s), 60 mis à jour"), job["message"]
    assert "Génération : 498 écriture(s) ajoutée(s)" in job["message"]
    assert job["anomalies"] == 4
