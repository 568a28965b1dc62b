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


urlpatterns = [path("record/", record)]
