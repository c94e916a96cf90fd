"""Migration a9e0c0de0010: the size classes of targets become a bit set, a target narrowed by
size classes becomes an ``smes-reached`` one, and a downgrade gives the text back."""

from __future__ import annotations

import os

import sqlalchemy as sa

from tests.livedb import crm_command, scratch_database

BEFORE = "a9e0c0de0009"
TARGETS = "SELECT id, metric, organisation_kind, size_classes FROM targets ORDER BY id"


def test_size_classes_become_a_bit_set_and_back(database_url, tmp_path) -> None:
    with scratch_database(database_url, tmp_path) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
        env.update(CRM_ENV="development", CRM_DATABASE_URL=url)
        crm_command("db", "upgrade", BEFORE, env=env)
        crm_command("seed", env=env)
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                item = connection.scalar(
                    sa.text("SELECT id FROM commitment_items WHERE code = '2.2'")
                )
                rows = [
                    ("organisations-engaged", "enterprise", "micro,small,medium"),
                    ("organisations-engaged", "enterprise", "large"),
                    ("organisations-engaged", "national-association", None),
                    ("people-reached", None, ""),
                ]
                for n, (metric, kind, sizes) in enumerate(rows, start=1):
                    connection.execute(
                        sa.text(
                            "INSERT INTO targets (id, commitment_item_id, period_start, "
                            "period_end, metric, organisation_kind, size_classes, target_value, "
                            "description, created_at, updated_at, version) VALUES (:id, :item, "
                            "'2027-01-01', '2027-12-31', :metric, :kind, :sizes, 10, '', "
                            "'2026-12-01 10:00:00', '2026-12-01 10:00:00', 1)"
                        ),
                        {"id": n, "item": item, "metric": metric, "kind": kind, "sizes": sizes},
                    )
            crm_command("db", "upgrade", env=env)
            with engine.connect() as connection:
                assert connection.execute(sa.text(TARGETS)).all() == [
                    (1, "smes-reached", None, 7),
                    (2, "smes-reached", None, 8),
                    (3, "organisations-engaged", "national-association", 0),
                    (4, "people-reached", None, 0),
                ]
            crm_command("db", "downgrade", BEFORE, env=env)
            with engine.connect() as connection:
                assert connection.execute(sa.text(TARGETS)).all() == [
                    (1, "organisations-engaged", "enterprise", "micro,small,medium"),
                    (2, "organisations-engaged", "enterprise", "large"),
                    (3, "organisations-engaged", "national-association", None),
                    (4, "people-reached", None, None),
                ]
        finally:
            engine.dispose()
