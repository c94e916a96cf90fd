"""Data protection: lawful basis, consent, restriction, subject access and erasure.

One module per job (``consent``, ``subject_access``, ``erasure``, and ``scrub``, how erasure
finds a person in text); the public names are re-exported here, so callers keep writing
``from crm.services import privacy; privacy.erase_person(...)``.
"""

from __future__ import annotations

from crm.services.privacy.consent import record_consent, set_lawful_basis, set_restriction
from crm.services.privacy.erasure import erase_person, erased_with_email, erasure_hash
from crm.services.privacy.scrub import ERASED
from crm.services.privacy.subject_access import (
    SECTIONS,
    subject_access_csv,
    subject_access_export,
)

__all__ = [
    "ERASED",
    "SECTIONS",
    "erase_person",
    "erased_with_email",
    "erasure_hash",
    "record_consent",
    "set_lawful_basis",
    "set_restriction",
    "subject_access_csv",
    "subject_access_export",
]
