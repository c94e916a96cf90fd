"""The jobs of ``crm scheduler``, declared as data.

Each job is a function of the services named by its import path and an APScheduler trigger;
the scheduler (``crm.scheduler``) runs it in an app context and records the run. A job
re-scans the database for what is due, so a run repeated, late or missed is harmless:
nothing is kept in the scheduler itself (no job store, no job per reminder).

A job's function takes the keywords ``runner`` (``host:pid``, the claimer the admins see)
and ``should_stop`` (a callable that says True once the process is asked to stop; the function
should then end soon) and returns a report with ``sent``, ``failed`` and ``retried`` counts
(``crm.services.reminders.dispatch.SendReport``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Job:
    """One scheduled job: ``func`` is ``"module:function"``; ``trigger`` holds the keyword
    arguments of APScheduler's ``add_job`` that say when (``{"trigger": "interval",
    "seconds": 60}``)."""

    id: str
    func: str
    trigger: Mapping[str, Any]
    description: str

    def resolve(self) -> Callable[..., Any]:
        """The function itself, imported when the scheduler starts (a typo fails at once)."""
        module_name, _, name = self.func.partition(":")
        function: Callable[..., Any] = getattr(importlib.import_module(module_name), name)
        return function


JOBS: tuple[Job, ...] = (
    Job(
        id="dispatch",
        func="crm.services.reminders.dispatch:send_due",
        # Every minute; CRM_SCHEDULER_INTERVAL_SECONDS replaces the seconds of interval jobs.
        trigger=MappingProxyType({"trigger": "interval", "seconds": 60}),
        description="send the reminders and digests that are due",
    ),
)
