"""Who may do what: the roles that hold each permission.

Kept apart from ``crm.security`` (the Flask wiring) so that services can ask the same table,
as ``outreach.may_change`` does, without importing Flask.
"""

from __future__ import annotations

from typing import Any

from crm.models import Role

# What each role may change; reading is open to every signed-in user. Areas add their
# permissions as they arrive (outreach, events, follow-ups, targets).
PERMISSIONS: dict[str, frozenset[Role]] = {
    "users.manage": frozenset({Role.ADMIN}),
    "register.write": frozenset({Role.ADMIN, Role.COORDINATOR, Role.OFFICER}),
    "register.merge": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "register.restore": frozenset({Role.ADMIN}),
    "register.audit": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "register.export": frozenset({Role.ADMIN, Role.COORDINATOR, Role.OFFICER}),
    "privacy.manage": frozenset({Role.ADMIN, Role.COORDINATOR}),
    # Outreach: viewers read; these roles log, and change their own records
    # (``outreach.change_any``: anyone's). Deleted records come back through admins.
    "outreach.log": frozenset({Role.ADMIN, Role.COORDINATOR, Role.OFFICER, Role.ORGANISER}),
    "outreach.change_any": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "outreach.restore": frozenset({Role.ADMIN}),
    "outreach.export": frozenset({Role.ADMIN, Role.COORDINATOR, Role.OFFICER}),
    "materials.manage": frozenset({Role.ADMIN, Role.COORDINATOR}),
    # Follow-ups: viewers read; these roles create them and change (edit, complete, reopen,
    # cancel, reassign) those assigned to them or created by them; ``followups.change_any``:
    # anyone's. ``followups.team``: the team's follow-ups by assignee and by sub-item.
    "followups.create": frozenset({Role.ADMIN, Role.COORDINATOR, Role.OFFICER, Role.ORGANISER}),
    "followups.change_any": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "followups.team": frozenset({Role.ADMIN, Role.COORDINATOR}),
    # Events: viewers read; these roles create events and change (edit, postpone, cancel,
    # their occurrences and participants) those they created; ``events.change_any``: anyone's.
    "events.create": frozenset({Role.ADMIN, Role.COORDINATOR, Role.OFFICER, Role.ORGANISER}),
    "events.change_any": frozenset({Role.ADMIN, Role.COORDINATOR}),
    # The outbox: failed messages and their retry, the scheduler's runs (/admin/mail).
    "mail.manage": frozenset({Role.ADMIN}),
    # Targets per item and period (the coverage view): everyone signed in reads them.
    "targets.manage": frozenset({Role.ADMIN, Role.COORDINATOR}),
    # The gaps in coverage on the home page (and in the coordinators' weekly digest).
    "coverage.gaps": frozenset({Role.ADMIN, Role.COORDINATOR}),
}


def can(user: Any, permission: str) -> bool:
    """A signed-in user whose role holds ``permission`` (anonymous users hold none)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in PERMISSIONS[permission]
