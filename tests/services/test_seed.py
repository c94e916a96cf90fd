from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm.models import CommitmentItem, Country, Framework
from crm.services.errors import ValidationError
from crm.services.seed import DEFAULT_FRAMEWORK, load_framework, seed_all

EXPECTED = {
    "1": "Raising awareness on CSR in MTS",
    "1.1": "Dissemination of defined methods and strategies for information sharing and "
    "awareness-raising",
    "1.2": "Dissemination of training courses developed",
    "1.3": "Engage with key stakeholders identified through the project that can play the role "
    "of sector activators",
    "1.3a": "Collaboration and engagement with MTS national associations and their affiliates",
    "1.3b": "Engage with MTS enterprises, including SMEs and enterprises in the MTS value chain",
    "1.3c": "Participate in strategic sectoral events",
    "2": "Facilitating the implementation of a strategic approach to CSR in MTS",
    "2.1": "Dissemination of guidelines developed and assistance in their implementation",
    "2.2": "Focus on the needs of SMEs",
    "2.3": "Cultivate the 'sustainable image' of MTS industry throughout the value chain",
    "3": "Supporting a coordinated management of a CSR platform in MTS",
    "3.1": "Disseminate strategies and measures for a coordinated management of the CSR "
    "multi-stakeholder platform",
    "3.2": "Engage policy makers and disseminate recommendations",
    "3.3": "Support monitoring of progresses of CSR diffusion and visibility in MTS through the "
    "DESIGN-MTS platform",
}


def _items(db) -> dict[str, CommitmentItem]:
    return {i.code: i for i in db.session.scalars(sa.select(CommitmentItem))}


def test_all_fifteen_codes_with_their_texts(app, db) -> None:
    items = _items(db)
    assert {code: item.text for code, item in items.items()} == EXPECTED
    assert items["1.3a"].parent.code == "1.3"
    assert items["1.3"].parent.code == "1"
    assert items["1"].parent is None


def test_seeding_again_changes_nothing(app, db) -> None:
    report = seed_all()
    assert not report.changed, report.describe()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommitmentItem)) == 15
    assert db.session.get(Country, "DE").name == "Germany"


def test_a_changed_text_is_updated_in_place(app, db, tmp_path: Path) -> None:
    data = json.loads(DEFAULT_FRAMEWORK.read_text(encoding="utf-8"))
    data["items"][1]["items"][1]["text"] = "Focus on the needs of SMEs and micro-enterprises"
    path = tmp_path / "framework.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    item_id = _items(db)["2.2"].id
    report = load_framework(path)
    assert report.updated == {"commitment items": 1}
    assert db.session.get(CommitmentItem, item_id).text.endswith("micro-enterprises")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"key": "x", "name": "X", "items": [', "not valid JSON"),
        ('{"key": "x", "name": "X"}', "missing field 'items'"),
        ('{"key": "x", "name": "X", "items": [{"code": "1"}]}', "items[0].text: text must be"),
        (
            '{"key": "x", "name": "X", "items": [{"code": "1", "text": "a"}, '
            '{"code": "1", "text": "b"}]}',
            "codes appear twice: 1",
        ),
        (
            '{"key": "x", "name": "X", "items": [{"code": "1", "text": "' + "a" * 501 + '"}]}',
            "1 to 500 characters",
        ),
        ('{"key": "x", "name": 7, "items": []}', "name: must be text of 1 to 300 characters"),
        ('{"key": "' + "k" * 61 + '", "name": "X", "items": []}', "key: must be text of 1 to 60"),
        ('{"key": "x", "name": "X", "items": {"code": "1"}}', "items: must be a list"),
        ("[1, 2]", "the top level must be an object"),
    ],
)
def test_bad_framework_files_say_where_and_write_nothing(
    app, db, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Framework))
    with pytest.raises(ValidationError) as raised:
        load_framework(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Framework)) == before


def test_missing_unreadable_or_binary_framework_files(app, db, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="file not found"):
        load_framework(tmp_path / "nope.json")
    with pytest.raises(ValidationError, match="cannot be read"):
        load_framework(tmp_path)  # a folder
    binary = tmp_path / "framework.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        load_framework(binary)
