"""Golden pages: every saved case extracts to its hand-written record, field by field.

A profile (platform family) without cases, or a case without its expected record, fails: the
extractor is only as trustworthy as the pages it is checked against.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portals.extract import extract
from portals.profiles import load_profiles
from portals.record import SCHEMA, Record, validate

from .conftest import PAGES

CASES = sorted(p for p in PAGES.glob("*/*") if p.is_dir())


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


GENERIC = "generic"  # pages of platforms no profile describes


def test_every_family_has_cases() -> None:
    families = set(load_profiles())
    with_cases = {p.parent.name for p in CASES}
    assert families - with_cases == set(), "families without golden cases"
    assert with_cases - families - {GENERIC} == set(), "case folders that name no profile"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case_is_complete(case: Path) -> None:
    for name in ("page.html", "meta.json", "expected.json"):
        assert (case / name).is_file(), f"{_case_id(case)} lacks {name}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_golden(case: Path) -> None:
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    record = extract((case / "page.html").read_bytes(), meta["url"], content_type=meta.get("content_type")).to_dict()
    assert list(record) == list(expected), "the record's keys differ from the contract"
    assert list(record) == list(SCHEMA["properties"]) == SCHEMA["required"], "the schema's fields differ from the contract"
    validate(Record.from_dict(expected))  # the hand-written record keeps the contract, as stored records must
    wrong = {key: {"expected": expected[key], "got": record[key]} for key in expected if record[key] != expected[key]}
    assert not wrong, json.dumps(wrong, ensure_ascii=False, indent=1)
