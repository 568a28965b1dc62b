"""E-mail that never gets lost (SPEC F5, e-mail half).

- ``preferences``: per notification kind immediately, in the digest or never;
  digest daily, weekly or off; the defaults when a member chose nothing.
- ``actions``: the writes of preferences and unsubscribing.
- ``outbox``: every e-mail is a database row first; claiming, sending with
  backoff, giving up after a bounded number of attempts.
- ``immediate``: the e-mails for new notifications, queued in bulk in the
  transaction that created them.
- ``digests``: daily and weekly digests, built in batches with a ledger row
  per member, frequency and period.
- ``unsubscribe``: signed tokens and the RFC 8058 headers.
"""
