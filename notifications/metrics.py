"""The e-mail outbox in ``/metrics`` (``community/metrics.py``), read when it is scraped.

How many e-mails wait (queued, being sent, failed for good) and how old the oldest unsent
one is: a worker that stopped, or an SMTP server that refuses, shows as an age that grows.
Two grouped queries on the outbox's partial indexes, at scrape time only: no page pays.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)
Status = OutboxMessage.Status
WAITING = (Status.QUEUED, Status.SENDING, Status.FAILED)


def families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "samenleven_outbox_messages",
            "E-mails in the outbox that are not sent: queued, being sent, or failed for good.",
            labels=["status"],
        ),
        GaugeMetricFamily(
            "samenleven_outbox_oldest_unsent_age_seconds",
            "Age of the oldest e-mail that is queued or being sent (0 when none waits).",
        ),
    )


class OutboxCollector(Collector):
    def describe(self) -> Iterator[Metric]:
        return iter(families())

    def collect(self) -> Iterator[Metric]:
        depth, oldest = families()
        try:
            rows = list(
                OutboxMessage.objects.filter(status__in=WAITING)
                .order_by()
                .values("status")
                .annotate(count=Count("id"), oldest=Min("created"))
            )
        except DatabaseError:
            logger.warning("Metrics: the outbox could not be read", exc_info=True)
            return
        by_status = {row["status"]: row for row in rows}
        for status in WAITING:
            depth.add_metric([str(status)], by_status[status]["count"] if status in by_status else 0)
        unsent = [row["oldest"] for status, row in by_status.items() if status != Status.FAILED]
        age = (timezone.now() - min(unsent)).total_seconds() if unsent else 0.0
        oldest.add_metric([], max(age, 0.0))
        yield depth
        yield oldest
