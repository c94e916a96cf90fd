"""``crm demo``: a deterministic, realistic data set, from a demo screenful to a benchmark.

Everything follows from (seed, scale, today's date): each stage has its own random generator
seeded from ``seed``, and the calendar is anchored on today (UTC) so that the data always
covers "the last two years", with overdue follow-ups and planned events ahead.

Rows are written with Core bulk inserts and ids assigned here, so link rows need no read-back
and ``--scale 100`` (millions of rows) takes minutes, in chunks that keep memory flat. Nothing
is committed here: the caller commits once, so a failure leaves the database as it was.

It is not part of the domain (crm/services): nothing there calls it; like a CLI command or an
importer, it reads the services' rules and writes rows. The package, by job: ``data/`` (the
vocabulary as JSON and CSV files) and ``files`` (reading them once, with a clear error when one
is missing or malformed), ``locales`` (names and places per country and language),
``catalogue`` (the real organisations, materials, fairs and the fixed text), ``errors`` (why a
run is refused), ``writer`` (chunked bulk inserts), ``base`` (the run's constants, records and
shared state), one module per stage (``organisations``, ``people``, ``events``, ``outreach``,
``followups``) and ``generator`` (the run as a whole). Only what is imported here is public.
"""

from crm.demo.errors import DemoDataError, DemoRefused
from crm.demo.generator import DemoReport, generate_demo

__all__ = ["DemoDataError", "DemoRefused", "DemoReport", "generate_demo"]
