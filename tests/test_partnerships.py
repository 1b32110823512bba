"""The partnerships file: the shipped example is valid; errors name the partnership and field."""

from __future__ import annotations

import io
import tomllib
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS
from cli.main import run
from safeguarding.partnerships import (
    Partner,
    PartnershipsFileError,
    load_partnerships,
    parse_partnerships,
)


def _example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE_PARTNERSHIPS.read_text())


def test_the_example_file_is_valid_and_has_the_public_numbers() -> None:
    partnerships = load_partnerships(EXAMPLE_PARTNERSHIPS)
    assert set(partnerships.partnerships) == {"coventry", "warwickshire", "cheshire-west", "hull"}
    numbers = {
        pid: (p.front_door.office_hours_number, p.front_door.out_of_hours_number)
        for pid, p in partnerships.partnerships.items()
    }
    assert numbers == {
        "coventry": ("024 7678 8555", "024 7683 2222"),
        "warwickshire": ("01926 414144", "01926 886922"),
        "cheshire-west": ("0300 123 7047", "01244 977277"),
        "hull": ("01482 448879", "01482 300304"),
    }
    warwickshire = partnerships.partnerships["warwickshire"].front_door.office_hours
    assert warwickshire["mon"].closes == time(17, 30)
    assert warwickshire["fri"].closes == time(17, 0)
    assert "sat" not in warwickshire
    assert "Walsall" in EXAMPLE_PARTNERSHIPS.read_text()  # the note on what Walsall must supply


def test_lookup_by_area_and_partner() -> None:
    partnerships = load_partnerships(EXAMPLE_PARTNERSHIPS)
    hull = partnerships.for_area("kingston upon hull")
    assert hull is not None
    assert hull.id == "hull"
    assert partnerships.for_area("Walsall") is None
    coventry = partnerships.partnerships["coventry"]
    assert [lead.name for lead in coventry.leads_for(Partner.POLICE)] == ["Example Police Lead"]


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PartnershipsFileError) as info:
        parse_partnerships(data, source="test.toml")
    return info.value.problems


def test_a_missing_number_is_named_by_partnership_and_field() -> None:
    data = _example()
    del data["partnerships"]["hull"]["front_door"]["out_of_hours_number"]
    assert _problems(data) == ["hull: front_door.out_of_hours_number: Field required"]


def test_bad_hours_and_phone_are_named() -> None:
    data = _example()
    data["partnerships"]["coventry"]["front_door"]["office_hours"]["mon"] = "17:00-09:00"
    data["partnerships"]["warwickshire"]["front_door"]["office_hours_number"] = "call us"
    problems = _problems(data)
    assert len(problems) == 2
    assert problems[0].startswith("coventry: front_door.office_hours.mon:")
    assert "closing time must be after opening time" in problems[0]
    assert problems[1].startswith("warwickshire: front_door.office_hours_number:")


def test_unknown_fields_are_refused() -> None:
    data = _example()
    data["partnerships"]["hull"]["front_dor"] = {}
    assert _problems(data) == ["hull: front_dor: Extra inputs are not permitted"]


def test_a_lead_must_be_identifiable() -> None:
    data = _example()
    data["partnerships"]["hull"]["leads"] = [{"name": "X", "role": "Chair"}]
    problems = _problems(data)
    assert problems[0].startswith("hull: leads.0:")
    assert "aad_object_id or upn" in problems[0]


def test_duplicate_prefix_and_area_are_refused() -> None:
    data = _example()
    data["partnerships"]["hull"]["reference_prefix"] = "COV"
    assert "already used by coventry" in _problems(data)[0]
    data = _example()
    data["partnerships"]["hull"]["areas"] = ["Coventry"]
    assert "already covered by coventry" in _problems(data)[0]


def test_review_channel_needs_both_ids() -> None:
    data = _example()
    data["partnerships"]["hull"]["review_channel"] = {"team_id": "t"}
    assert _problems(data)[0].startswith("hull: review_channel:")


def test_check_config_warns_of_each_partnership_with_no_review_channel(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(["check-config", str(EXAMPLE_PARTNERSHIPS)], stdout=out, stderr=err) == 0
    assert "OK, 4 partnership(s)" in out.getvalue()
    warned = [
        line.split(":")[1].strip()
        for line in err.getvalue().splitlines()
        if line.startswith("warning:") and "no review channel" in line
    ]
    # Coventry has its channel; the other three in the example file have none.
    assert warned == ["warwickshire", "cheshire-west", "hull"]
    assert "warning" not in out.getvalue()  # warnings go to stderr only

    # Given a channel, Warwickshire is not warned about.
    with_channel = tmp_path / "partnerships.toml"
    with_channel.write_text(
        EXAMPLE_PARTNERSHIPS.read_text().replace(
            '[partnerships.warwickshire.review_channel]\nname = "Safeguarding Reviews Subgroup"\n',
            '[partnerships.warwickshire.review_channel]\nname = "Safeguarding Reviews Subgroup"\n'
            'team_id = "war-team"\nchannel_id = "war-channel"\n',
        )
    )
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "coventry.toml").write_text(
        (EXAMPLE_PARTNERSHIPS.parent / "faq" / "coventry.toml").read_text()
    )
    out, err = io.StringIO(), io.StringIO()
    assert run(["check-config", str(with_channel)], stdout=out, stderr=err) == 0
    assert "warwickshire: no review channel" not in err.getvalue()
    assert "cheshire-west: no review channel" in err.getvalue()


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(PartnershipsFileError, match="cannot read"):
        load_partnerships(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[partnerships.x\n")
    with pytest.raises(PartnershipsFileError, match="not valid TOML"):
        load_partnerships(bad)


def test_check_config_command(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run(["check-config", str(EXAMPLE_PARTNERSHIPS)], stdout=out, stderr=err) == 0
    assert "OK, 4 partnership(s)" in out.getvalue()

    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE_PARTNERSHIPS.read_text().replace('"01482 300304"', '"none"'))
    out, err = io.StringIO(), io.StringIO()
    assert run(["check-config", str(bad)], stdout=out, stderr=err) == 1
    assert "hull: front_door.out_of_hours_number" in err.getvalue()
