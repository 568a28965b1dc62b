"""``make test``'s processes: the browser tests all in the first, from the start; the rest a
test or two at a time to whichever process is free; each process in the collected order."""

from __future__ import annotations

from types import SimpleNamespace

from tests.scheduling import QUEUED, BrowserTestsInOneProcess

COLLECTION = [
    *(f"tests/browser/test_threads.py::test_{n}" for n in range(4)),
    *(f"tests/threads/test_pages.py::test_{n}" for n in range(10)),
]


class FakeProcess:
    """What the scheduler sees of a pytest-xdist worker."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down, self.received = False, []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.received.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def run(processes: list[FakeProcess], durations: dict[str, int], collection: list[str] = COLLECTION) -> None:
    """Let each process finish its oldest test in turn, the slower ones taking more turns."""
    config = SimpleNamespace(getoption=lambda name: None, getvalue=lambda name: None, option=SimpleNamespace())
    scheduler = BrowserTestsInOneProcess.__new__(BrowserTestsInOneProcess)
    scheduler.numnodes, scheduler.node2collection, scheduler.node2pending = len(processes), {}, {}
    scheduler.pending, scheduler.collection, scheduler.config = [], None, config
    scheduler.maxschedchunk, scheduler.log = None, lambda *args: None
    for process in processes:
        scheduler.add_node(process)
        scheduler.add_node_collection(process, collection)
    scheduler.schedule()
    clock = dict.fromkeys(processes, 0)
    while any(scheduler.node2pending[process] for process in processes):
        process = min((p for p in processes if scheduler.node2pending[p]), key=clock.__getitem__)
        index = scheduler.node2pending[process][0]
        clock[process] += durations.get(collection[index].split("::")[0], 1)
        scheduler.mark_test_complete(process, index)


def test_the_first_process_runs_every_browser_test_and_the_others_run_the_rest():
    first, second = FakeProcess("gw0"), FakeProcess("gw1")
    run([first, second], durations={"tests/browser/test_threads.py": 5})

    browser = [index for index, nodeid in enumerate(COLLECTION) if nodeid.startswith("tests/browser/")]
    assert first.received[: len(browser)] == browser
    assert not set(browser) & set(second.received)
    # Every test exactly once, and each process in the collected order.
    assert sorted(first.received + second.received) == list(range(len(COLLECTION)))
    assert first.received == sorted(first.received) and second.received == sorted(second.received)
    # While the first runs its 20 units of browser tests, the second runs the other tests,
    # taken a few at a time: the first takes no more than it holds besides its own.
    assert len(second.received) >= len(COLLECTION) - len(browser) - QUEUED
    assert first.shutting_down and second.shutting_down


def test_without_browser_tests_the_work_is_shared_evenly():
    processes = [FakeProcess("gw0"), FakeProcess("gw1")]
    run(
        processes, durations={}, collection=[nodeid for nodeid in COLLECTION if not nodeid.startswith("tests/browser/")]
    )
    counts = sorted(len(process.received) for process in processes)
    assert counts == [5, 5]
