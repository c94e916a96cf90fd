"""Today's date and the time zone of the programme (``CRM_TIMEZONE``).

``date.today()`` is the server's local date, which on a UTC server turns over an hour or two
after midnight in Brussels: "current" positions and today's defaults would be a day off each
night. Every "today" of the product comes from here instead. The zone is set once by
``create_app`` from the settings; code below the views (models, services) has no app to ask.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Brussels"
_zone = ZoneInfo(DEFAULT_ZONE)


def configure(timezone_name: str) -> None:
    """Use ``timezone_name`` (an IANA name, checked by the settings) from now on."""
    global _zone
    _zone = ZoneInfo(timezone_name)


def programme_zone() -> ZoneInfo:
    return _zone


def local_today() -> date:
    """The date it is now in the programme's time zone."""
    return datetime.now(_zone).date()


def local_date(moment: datetime) -> date:
    """The date a point in time falls on in the programme's time zone (outreach logged at
    23:30 in Brussels belongs to that day, not to the next one as in UTC)."""
    return moment.astimezone(_zone).date()
