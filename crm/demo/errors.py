"""Why ``crm demo`` does not go ahead: the database is not fit for demo data, or its own data
files are broken. The CLI shows the message of either without a traceback.
"""

from __future__ import annotations


class DemoRefused(Exception):
    """``crm demo`` cannot go ahead; the message says why and what to do."""


class DemoDataError(DemoRefused):
    """A data file of the demo (crm/demo/data/) is missing or malformed.

    The message names the file and the place in it, so that whoever edited it can fix it.
    """
