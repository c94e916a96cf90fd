"""The outreach log: the rules of every write (``records``), the list's filter and query
(``listing``), what the form offers first (``choices``)."""
