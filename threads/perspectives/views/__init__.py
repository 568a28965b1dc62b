"""Pages of handelingsperspectieven: reading (index, versions, the Atom feed) and editing
(the working copy, review, examples from threads, suggestions)."""
