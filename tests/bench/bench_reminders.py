"""Benchmark of dispatch: 10,000 due reminders sent by ``send_due`` to a local SMTP server,
beside the same 10,000 messages sent by a plain ``smtplib`` loop over one connection.

    python -m tests.bench.bench_reminders [--database-url URL] [--count 10000] [--batch 100]
        [--rounds 1] [--profile FILE]

Without ``--database-url`` it uses a new SQLite file in a temporary folder. With one, that
database is emptied first (PostgreSQL: schema ``public`` dropped and recreated), so never
point it at data you want to keep (``createdb e_bench`` for a database of its own).

The SMTP server (aiosmtpd, accepting every message and noting its Message-ID) runs in a
process of its own, so the sender's figures are not slowed by a server in the same
interpreter. Each round:

1. the baseline: the same messages dispatch will send, composed beforehand (not timed),
   their bytes sent by a plain loop of ``smtp.sendmail`` over one connection;
2. dispatch: one ``send_due`` pass over the same rows, as ``crm scheduler`` runs it: plan,
   claim each batch in a committed transaction, compose, send over one connection, mark
   each message sent once the server accepted it.

Target from issue 9: dispatch reaches at least two thirds of the baseline's messages per
second (PASS or FAIL). The server must have received each message once per phase, with the
Message-IDs of the rows (checked).
``--profile FILE`` writes a cProfile of the dispatch pass.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import re
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

TARGET = 2 / 3
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.MULTILINE | re.IGNORECASE)


# --- The server, in a process of its own --------------------------------------------------------


class _Noting:
    """Accepts every message and writes its Message-ID, one a line (nothing parsed)."""

    def __init__(self, out: Any) -> None:
        self.out = out

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        match = MESSAGE_ID.search(envelope.original_content or envelope.content)
        self.out.write((match.group(1) if match else b"-") + b"\n")
        self.out.flush()
        return "250 2.0.0 OK: queued"


def serve(port: int, path: str) -> None:
    """Run the server until standard input closes (the benchmark ends or dies)."""
    from aiosmtpd.controller import Controller

    with open(path, "ab") as out:
        controller = Controller(_Noting(out), hostname="127.0.0.1", port=port, ready_timeout=10)
        controller.start()
        print("ready", flush=True)
        sys.stdin.read()
        controller.stop()


class Server:
    def __init__(self, folder: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.path = folder / "received.txt"
        self.path.touch()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from tests.bench.bench_reminders import serve; "
                "serve(int(sys.argv[1]), sys.argv[2])",
                str(self.port),
                str(self.path),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            sys.exit("the SMTP server did not start")

    def received(self) -> list[str]:
        return self.path.read_text().split()

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


# --- The data -------------------------------------------------------------------------------------


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


def fill(count: int, users: int = 50) -> None:
    """``count`` follow-ups due in the last hours, over ``users`` officers without digests;
    the planning hook plans their due reminders as for any write."""
    from crm.database import refresh_statistics
    from crm.extensions import db
    from crm.models import Role, User
    from tests.outbox import make_follow_up

    officers = [
        User(
            email=f"officer{n}@bench.example",
            full_name=f"Bench Officer {n}",
            role=Role.OFFICER,
            password_hash="not-a-hash",
        )
        for n in range(users)
    ]
    db.session.add_all(officers)
    db.session.flush()
    for officer in officers:
        officer.digest_hour = None  # None in the constructor means "the default" (8)
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(count):
        make_follow_up(officers[n % users], now - timedelta(minutes=30, seconds=n))
        if n % 1000 == 999:
            db.session.commit()
    db.session.commit()
    # The planner's statistics, as autovacuum keeps them for a table that grew over days
    # (PostgreSQL; nothing on SQLite): without them the claim sorts every pending row.
    refresh_statistics(db.engine, ["reminders", "follow_ups", "users"])


def reset_outbox() -> None:
    """The rows pending again, as planned, for the next round."""
    from crm.database import refresh_statistics
    from crm.extensions import db
    from crm.models import Reminder
    from crm.models.followups import ReminderStatus

    db.session.execute(
        sa.update(Reminder).values(
            status=ReminderStatus.PENDING,
            attempts=0,
            claimed_at=None,
            claimed_by=None,
            lease_expires_at=None,
            sent_at=None,
            message_id=None,
            next_attempt_at=None,
        )
    )
    db.session.commit()
    refresh_statistics(db.engine, ["reminders"])  # the dead rows of the round before


def composed(settings: Any) -> list[Any]:
    """The messages dispatch will send, composed with the Message-IDs it will give them
    (nothing is written: the ids are given to the loaded facts)."""
    from dataclasses import replace

    from crm.extensions import db
    from crm.models import Reminder
    from crm.models.followups import ReminderStatus
    from crm.services import mail
    from crm.services.reminders.compose import draft_reminder, load_outgoing

    now = datetime.now(UTC)
    messages = []
    for row in load_outgoing(Reminder.status == ReminderStatus.PENDING):
        named = replace(row, message_id=mail.message_id(row.id, row.key, settings.domain))
        draft = draft_reminder(named, now)
        assert draft is not None
        messages.append(mail.compose(settings, draft))
    db.session.rollback()
    return messages


# --- The two senders ------------------------------------------------------------------------------


def plain_loop(messages: list[Any], settings: Any) -> float:
    """Seconds for a plain smtplib loop over one connection (connect and quit included)
    sending the messages' bytes, composed beforehand: ``sendmail`` in a ``for`` loop."""
    started = time.perf_counter()
    smtp = smtplib.SMTP(settings.host, settings.port, local_hostname="localhost", timeout=30)
    for message in messages:
        smtp.sendmail(message.sender, [message.recipient], message.data)
    smtp.quit()
    return time.perf_counter() - started


def dispatch(settings: Any, batch: int, profile: str | None) -> tuple[float, Any]:
    from crm.services.reminders.dispatch import send_due

    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = send_due(settings=settings, batch=batch, runner="bench")
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler and profile:
        profiler.dump_stats(profile)
    return elapsed, report


def check_phase(server: Server, before: int, expected: set[str], what: str) -> None:
    ids = server.received()[before:]
    doubled = [i for i, n in Counter(ids).items() if n > 1]
    if len(ids) != len(expected) or doubled or set(ids) != expected:
        sys.exit(
            f"{what}: the server received {len(ids)} messages ({len(doubled)} twice), "
            f"expected {len(expected)} distinct"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile")
    args = parser.parse_args(argv)

    from flask_migrate import upgrade

    from crm.extensions import db
    from crm.models import Reminder
    from crm.models.followups import ReminderStatus
    from crm.services.mail import MailSettings
    from crm.services.seed import seed_all
    from tests.livedb import reset_database

    folder = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    url = args.database_url or "sqlite:///" + str(folder / "crm.sqlite3")
    app = make_app(url, folder)
    server = Server(folder)
    results: list[tuple[float, float]] = []
    try:
        with app.app_context():
            print(f"database: {db.engine.dialect.name}; {args.count:,} due reminders ...")
            reset_database(db.engine)
            upgrade()
            seed_all()
            db.session.commit()
            started = time.perf_counter()
            fill(args.count)
            print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
            settings = MailSettings(
                host="127.0.0.1",
                port=server.port,
                sender="crm@crm.example.org",
                base_url="https://crm.example.org",
            )
            for round_number in range(1, args.rounds + 1):
                if round_number > 1:
                    reset_outbox()
                messages = composed(settings)
                expected = {m.message_id for m in messages}
                assert len(expected) == args.count, "not one message per reminder"
                before = len(server.received())
                baseline = plain_loop(messages, settings)
                check_phase(server, before, expected, "baseline")
                before = len(server.received())
                elapsed, report = dispatch(settings, args.batch, args.profile)
                check_phase(server, before, expected, "dispatch")
                db.session.expire_all()
                sent = db.session.scalar(
                    sa.select(sa.func.count(Reminder.id)).where(
                        Reminder.status == ReminderStatus.SENT
                    )
                )
                db.session.commit()
                if report.sent != args.count or sent != args.count:
                    sys.exit(f"dispatch: report {report.describe()}, {sent} rows sent")
                rates = (args.count / baseline, args.count / elapsed)
                results.append(rates)
                print(
                    f"  round {round_number}: plain smtplib loop {rates[0]:,.0f} msg/s; "
                    f"send_due {rates[1]:,.0f} msg/s ({elapsed:.1f} s): "
                    f"{rates[1] / rates[0]:.2f} of the loop",
                    flush=True,
                )
            db.session.remove()
            db.engine.dispose()
    finally:
        server.stop()
    best_loop = max(rates[0] for rates in results)
    best_dispatch = max(rates[1] for rates in results)
    ratio = best_dispatch / best_loop
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(
        f"plain smtplib loop: {best_loop:,.0f} msg/s; send_due: {best_dispatch:,.0f} msg/s; "
        f"ratio {ratio:.2f} (target {TARGET:.2f}): {verdict}"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    os.environ.setdefault("CRM_ENV", "testing")
    sys.exit(main())
