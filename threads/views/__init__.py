"""Pages of the threads app: thread pages and forms, thread lists, and the
community pages that show threads (home, group, municipality, profile)."""
