"""The sandbox's hold: a held service answers nobody until released (the browser tests use it,
through the preview's /preview/hold, to look at a run surely still going)."""

import threading

from backend.sandbox.faults import FaultPlan


def test_a_held_service_answers_nobody_until_released_and_others_go_on():
    plan = FaultPlan()
    plan.hold("sheets")
    answered = threading.Event()
    caller = threading.Thread(target=lambda: (plan.on_call("sheets", "GET", "/v4/x"),
                                              answered.set()))
    caller.start()
    assert not answered.wait(0.3)                 # held
    plan.on_call("stripe", "GET", "/v1/invoices")  # another service is not
    plan.release()
    assert answered.wait(5)
    caller.join(5)
    assert [c.service for c in plan.calls] == ["sheets", "stripe"]
    plan.on_call("sheets", "GET", "/v4/y")        # released for good
