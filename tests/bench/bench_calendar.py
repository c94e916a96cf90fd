"""Benchmark of the public events feed: 1,000 published events, the first render of
``/calendar/events.ics`` and its 304 answer, beside icalendar serialising the same events
already in memory, in the same run.

    python -m tests.bench.bench_calendar [--database-url URL] [--count 1000] [--repeat 7]

Without ``--database-url`` it uses a new SQLite file in a temporary folder. With one, that
database is emptied first (PostgreSQL: schema ``public`` dropped and recreated), so never
point it at data you want to keep (``createdb calendar_bench`` for a database of its own).

The events are a mix like the demo's: timed in five zones, all-day fairs over several days,
weekly and monthly series with a cancelled and a moved occurrence, two or three sub-items
each, text with commas, semicolons, line breaks and accents.

- baseline: ``icalendar.Calendar.to_ical()`` of the same events (built beforehand, VTIMEZONEs
  added; only the serialising is timed);
- first render: a GET of the feed through the WSGI app with nothing cached (the cache of
  ETags emptied before each), query and all;
- 304: the same GET with the ``If-None-Match`` the first one returned.

Medians of ``--repeat`` runs. Target from issue 10: the first render within 1.5 times the
baseline, the 304 under a tenth of it (PASS or FAIL).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

RENDER_TARGET = 1.5
NOT_MODIFIED_TARGET = 0.1
ZONES = ("Europe/Berlin", "Europe/Brussels", "America/New_York", "Asia/Tokyo", "UTC")
UPDATED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def make_app(url: str, folder: Path) -> Any:
    from crm import create_app

    return create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SECRET_KEY": "benchmark-secret-key-that-is-long-enough-0123",
            "SQLALCHEMY_DATABASE_URI": url,
            "CRM_BASE_URL": "https://crm.example.org",
        },
        instance_path=str(folder / "instance"),
    )


def fill(count: int, seed: int = 10) -> None:
    """``count`` published events, committed."""
    from crm.extensions import db
    from crm.models import (
        CommitmentItem,
        Country,
        Event,
        EventKind,
        EventStatus,
        OurRole,
        RecurrenceFreq,
    )
    from crm.models.events import EventOccurrence

    rng = random.Random(seed)
    parents = set(db.session.scalars(sa.select(CommitmentItem.parent_id)))
    leaves = [i for i in db.session.scalars(sa.select(CommitmentItem)) if i.id not in parents]
    countries = list(db.session.scalars(sa.select(Country.code).order_by(Country.code)))
    kinds, statuses = list(EventKind), list(EventStatus)
    for n in range(count):
        zone_name = ZONES[n % len(ZONES)]
        zone = ZoneInfo(zone_name)
        day = date(2026, 1, 5) + timedelta(days=rng.randint(0, 900))
        status = statuses[n % len(statuses)]
        event = Event(
            title=f"Event {n}: machine safety, skills; the sector's CSR round {n % 17}",
            kind=kinds[n % len(kinds)],
            our_role=OurRole.ATTENDEE,
            status=status,
            is_published=True,
            timezone=zone_name,
            venue=f"Hall {n % 9}, Messegelände" if n % 4 else None,
            city="Hannover" if n % 4 else None,
            country_code=rng.choice(countries) if n % 4 else None,
            online_url="https://meet.example.org/r/" + str(n) if n % 4 == 0 else None,
            description=(
                f"Day one: welcome, panels; networking.\nDay two: workshops (é, ß, 🎉) #{n}. " * 3
            ),
            subitems=rng.sample(leaves, rng.randint(2, 3)),
            cancelled_at=UPDATED - timedelta(days=3) if status is EventStatus.CANCELLED else None,
        )
        if n % 5 == 1:  # an all-day fair over several days
            event.is_all_day = True
            event.start_date = day
            event.end_date = day + timedelta(days=rng.randint(0, 4))
        else:
            start = datetime.combine(day, clock_time(9 + n % 8, 30), zone)
            event.starts_at = start
            event.ends_at = start + timedelta(hours=1 + n % 3)
        if n % 10 == 3:  # a series, with a cancelled and a moved occurrence
            event.recurrence = RecurrenceFreq.WEEKLY if n % 20 == 3 else RecurrenceFreq.MONTHLY
            event.recurrence_count = 8
            step = timedelta(weeks=1) if event.recurrence is RecurrenceFreq.WEEKLY else None
            if step is not None and event.starts_at is not None:
                second = (event.starts_at.astimezone(zone) + step).astimezone(UTC)
                third = (event.starts_at.astimezone(zone) + 2 * step).astimezone(UTC)
                event.occurrences = [
                    EventOccurrence(original_start=second, is_cancelled=True),
                    EventOccurrence(
                        original_start=third,
                        starts_at=third + timedelta(days=1),
                        ends_at=third + timedelta(days=1, hours=1),
                    ),
                ]
        db.session.add(event)
    db.session.commit()


def baseline_calendar(items: list[Any]) -> Any:
    """The same events as icalendar components, in memory (what the baseline serialises)."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//MTS CRM//Calendar feeds//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", "MTS CRM events")
    calendar.add("x-wr-calname", "MTS CRM events")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")

    def part(item: Any, original: Any = None, times: Any = None) -> Any:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.updated_at)
        event.add("last-modified", item.updated_at)
        event.add("sequence", item.sequence)
        start, end = times or (
            (item.starts_at.astimezone(ZoneInfo(item.timezone)), None)
            if item.starts_at is not None
            else (item.start_date, None)
        )
        if item.starts_at is not None:
            zone = ZoneInfo(item.timezone)
            start = start.astimezone(zone)
            end = (times[1] if times else item.ends_at).astimezone(zone)
        else:
            end = (times[1] if times else item.end_date) + timedelta(days=1)
        event.add("dtstart", start)
        event.add("dtend", end)
        if original is not None:
            event.add("recurrence-id", original)
        event.add("summary", item.title)
        if item.description:
            event.add("description", item.description)
        if item.location:
            event.add("location", item.location)
        if item.url:
            event.add("url", item.url)
        if item.categories:
            event.add("categories", list(item.categories))
        event.add("status", item.status.value)
        return event

    for item in items:
        master = part(item)
        if item.recurrence is not None:
            rule: dict[str, Any] = {"freq": item.recurrence.frequency.value}
            if item.recurrence.interval != 1:
                rule["interval"] = item.recurrence.interval
            if item.recurrence.count:
                rule["count"] = item.recurrence.count
            master.add("rrule", rule)
            for original in item.exdates:
                master.add("exdate", original)
        calendar.add_component(master)
        for override in item.overrides:
            times = (
                (override.starts_at, override.ends_at)
                if override.starts_at is not None
                else (override.start_date, override.end_date)
            )
            calendar.add_component(part(item, override.original, times))
    calendar.add_missing_timezones()
    return calendar


def _median(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    import icalendar
    from flask_migrate import upgrade
    from ical.calendar_stream import IcsCalendarStream

    from crm.extensions import db
    from crm.services.calendar import events_feed
    from crm.services.calendar.cache import feeds
    from crm.services.seed import seed_all
    from tests.livedb import reset_database

    folder = Path(tempfile.mkdtemp(prefix="bench-calendar-"))
    url = args.database_url or "sqlite:///" + str(folder / "crm.sqlite3")
    app = make_app(url, folder)
    with app.app_context():
        dialect = db.engine.dialect.name
        print(f"database: {dialect}; {args.count:,} published events ...", flush=True)
        reset_database(db.engine)
        upgrade()
        seed_all()
        db.session.commit()
        fill(args.count)
        rows = db.session.scalars(events_feed.public_events_query()).all()
        items = events_feed.feed_items(rows, base_url="https://crm.example.org")
        in_memory = baseline_calendar(items)
        db.session.remove()
    client = app.test_client()

    def first_render() -> bytes:
        feeds.clear()
        answer = client.get("/calendar/events.ics")
        assert answer.status_code == 200, answer.status_code
        return answer.data

    started = time.perf_counter()
    body = first_render()  # the process's first: statements compiled, zones built
    cold = time.perf_counter() - started
    etag = client.get("/calendar/events.ics").headers["ETag"]

    def not_modified() -> None:
        answer = client.get("/calendar/events.ics", headers={"If-None-Match": etag})
        assert answer.status_code == 304, answer.status_code

    baseline = _median(args.repeat, in_memory.to_ical)
    render = _median(args.repeat, first_render)
    unchanged = _median(max(args.repeat, 21), not_modified)

    ours = icalendar.Calendar.from_ical(body)
    strict = IcsCalendarStream.calendar_from_ics(body.decode())
    masters = [e for e in ours.walk("VEVENT") if "RECURRENCE-ID" not in e]
    assert len(masters) == args.count == len({str(e["UID"]) for e in masters}), len(masters)
    assert len(strict.events) == len(ours.walk("VEVENT"))
    assert first_render() == body, "two renders of unchanged data differ"

    render_ratio, not_modified_ratio = render / baseline, unchanged / baseline
    passed = render_ratio <= RENDER_TARGET and not_modified_ratio < NOT_MODIFIED_TARGET
    print(f"calendar feed of {args.count:,} published events, {dialect}, {len(body):,} bytes")
    print(f"baseline      {baseline * 1000:7.1f} ms  icalendar to_ical() of the same events")
    print(
        f"first render  {render * 1000:7.1f} ms  GET, nothing cached ({render_ratio:.2f} x;"
        f" target {RENDER_TARGET} x; the process's very first {cold * 1000:.0f} ms)"
    )
    print(
        f"304           {unchanged * 1000:7.1f} ms  GET with If-None-Match"
        f" ({not_modified_ratio:.3f} x; target under {NOT_MODIFIED_TARGET} x)"
    )
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
