"""A view that records which thread ran it and how many ran at once (test_handlers.py)."""

import threading
import time

from django.http import HttpResponse
from django.urls import path

state = {"running": 0, "most": 0, "threads": [], "lock": threading.Lock()}


def record(request):
    with state["lock"]:
        state["running"] += 1
        state["most"] = max(state["most"], state["running"])
        state["threads"].append(threading.get_ident())
    time.sleep(0.02)
    with state["lock"]:
        state["running"] -= 1
    return HttpResponse("ok")


def hand_over(request):
    """Hands two pieces of work to the event loop for after the answer (``after_the_answer``)."""
    from community.performance.handlers import after_the_answer

    for name in ("first", "second"):

        async def work(name=name):
            # What the server had sent by then: the answer's start and body, if it went first.
            state["order"].append((name, state["communicator"].output_queue.qsize()))

        state["handed_over"] = after_the_answer(work)
    state["order"].append("view")
    return HttpResponse("ok")


urlpatterns = [path("record/", record), path("hand-over/", hand_over)]
