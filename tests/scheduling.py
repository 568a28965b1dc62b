"""How ``make test`` hands the tests to its processes (pytest-xdist, ``--dist load``).

The browser tests take one Chromium, one live server and about half the suite's time, and a
browser test keeps more than one core busy (Chromium, the server, the test). Two processes
each running browser tests on a two-core machine slow each other down; so one process runs
all of them, from the start, while the others run the rest of the suite. The rest is handed
out a test or two at a time to whichever process is free, so that no process ends long before
another (pytest-xdist's own ``load`` hands out chunks it cannot take back; its ``loadgroup``
does not group on pytest 9.2, whose node ids it can no longer change).

Each process gets its tests in the order they were collected (``tests/conftest.py`` puts the
browser tests first); after a test that committed, the database's snapshot is put back
(``tests/database.py``), so no other order is needed.
"""

from __future__ import annotations

from typing import Any

from xdist.scheduler import LoadScheduling

#: Where the browser tests live (``tests/browser``): the node ids of the tests start with it.
BROWSER_TESTS = "tests/browser/"
#: Tests a process holds besides the one it runs: it knows its next test (pytest needs it
#: to tear down the fixtures the next one does not share) and never waits for the next.
QUEUED = 2


class BrowserTestsInOneProcess(LoadScheduling):
    """The browser tests to the first process, the rest to whichever process is free."""

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is not None:  # a process added later: give it work
            for node in self.nodes:
                self.check_schedule(node)
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.node2collection.values())))
        browser = [index for index, nodeid in enumerate(self.collection) if nodeid.startswith(BROWSER_TESTS)]
        taken = set(browser)
        self.pending[:] = [index for index in range(len(self.collection)) if index not in taken]
        if browser:
            first = self.nodes[0]
            self.node2pending[first].extend(browser)
            first.send_runtest_some(browser)
        for node in self.nodes:
            self.check_schedule(node)

    def check_schedule(self, node: Any, duration: float = 0) -> None:
        if node.shutting_down:
            return
        if not self.pending:
            node.shutdown()  # it runs what it holds, then stops
            return
        missing = QUEUED - len(self.node2pending[node])
        if missing > 0:
            self._send_tests(node, missing)
