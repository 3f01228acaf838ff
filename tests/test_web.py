from backend.web import create_app


def test_health_check_answers():
    client = create_app({"TESTING": True}).test_client()
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}
