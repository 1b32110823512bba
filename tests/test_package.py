"""`review-bot package`: the Teams app package, its manifest, icons and one-line problems."""

from __future__ import annotations

import argparse
import copy
import io
import json
import sys
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cli.package import add_parser, run
from teamsapp import icons, png
from teamsapp import manifest as manifest_module
from teamsapp.build import build_package
from teamsapp.icons import check_icons
from teamsapp.manifest import (
    LOCAL_DEV_BOT_ID,
    SCHEMA_PATH,
    SCHEMA_VERSION,
    Developer,
    PackageError,
    render_manifest,
    teams_app_id_for,
    validate_manifest,
)
from teamsapp.png import decode_png, encode_png

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGE = ROOT / "deploy" / "appPackage"
BOT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
DOMAIN = "reviewbot.scp.example.org"
REAL_DEVELOPER = Developer(
    name="Example Safeguarding Partners",
    website_url="https://scp.example.org/",
    privacy_url="https://scp.example.org/privacy",
    terms_url="https://scp.example.org/terms",
)
COMMANDS = {
    "help": "What this bot does, and who to call about a child",
    "refer": "Refer a serious child safeguarding incident for review",
    "my draft": "Continue your referral draft",
    "status": "Where a referral has got to",
}


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(manifest)]


def good_manifest() -> dict[str, Any]:
    return render_manifest(
        app_id=BOT_ID, bot_id=BOT_ID, domain=DOMAIN, version="1.2.3", developer=REAL_DEVELOPER
    )


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def invoke(*argv: str, app_id: str = "", public_host: str | None = None) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="review-bot")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["package", *argv])
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(args, app_id=app_id, public_host=public_host, stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


# --- the manifest ------------------------------------------------------------------------


def test_schema_is_the_declared_draft04_version() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["properties"]["manifestVersion"]["const"] == SCHEMA_VERSION
    # Not check_schema(): that also checks `format: regex`, and the schema's ECMAScript
    # patterns (`\p{L}`, in Office add-in parts a bot manifest never uses) are not Python's.
    meta = jsonschema.Draft4Validator(jsonschema.Draft4Validator.META_SCHEMA)
    assert list(meta.iter_errors(schema)) == []


def test_template_declares_the_vendored_version_and_holds_no_real_ids() -> None:
    text = (APP_PACKAGE / "manifest.template.json").read_text(encoding="utf-8")
    template = json.loads(text)
    assert template["manifestVersion"] == SCHEMA_VERSION
    assert template["$schema"].endswith(f"/v{SCHEMA_VERSION}/MicrosoftTeams.schema.json")
    assert template["id"] == "${{TEAMS_APP_ID}}"
    assert template["bots"][0]["botId"] == "${{BOT_ID}}"
    assert "webApplicationInfo" not in template


def test_built_manifest_validates_against_the_official_schema() -> None:
    manifest = json.loads(
        unzip(build_package(app_id=BOT_ID, bot_id=BOT_ID, domain=DOMAIN, version="1.2.3"))[
            "manifest.json"
        ]
    )
    assert schema_errors(manifest) == []
    assert validate_manifest(manifest) == []


def test_manifest_fills_every_placeholder() -> None:
    manifest = good_manifest()
    text = json.dumps(manifest)
    assert "{{" not in text
    assert "}}" not in text
    assert manifest["id"] == BOT_ID
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["version"] == "1.2.3"
    assert manifest["validDomains"] == [DOMAIN]
    assert manifest["developer"] == {
        "name": REAL_DEVELOPER.name,
        "websiteUrl": REAL_DEVELOPER.website_url,
        "privacyUrl": REAL_DEVELOPER.privacy_url,
        "termsOfUseUrl": REAL_DEVELOPER.terms_url,
    }


def test_no_domain_means_no_valid_domains() -> None:
    manifest = render_manifest(app_id=BOT_ID, bot_id=BOT_ID, domain=None, version="0.1.0")
    assert manifest["validDomains"] == []
    assert "{{" not in json.dumps(manifest)
    assert validate_manifest(manifest) == []


def test_bot_scopes_flags_and_commands() -> None:
    manifest = good_manifest()
    (bot,) = manifest["bots"]
    assert bot["scopes"] == ["personal", "team"]
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    lists = bot["commandLists"]
    assert sorted(scope for cl in lists for scope in cl["scopes"]) == ["personal", "team"]
    for command_list in lists:
        got = {c["title"]: c["description"] for c in command_list["commands"]}
        if command_list["scopes"] == ["team"]:
            # Referrals and their progress carry children's details: personal chat only.
            assert got == {"help": COMMANDS["help"]}
        else:
            assert got == COMMANDS
        for title, description in got.items():
            assert 0 < len(title) <= 32
            assert 0 < len(description) <= 128


def test_names_and_descriptions_say_what_the_bot_is_and_is_not_for() -> None:
    manifest = good_manifest()
    assert manifest["name"]["short"] == "Case Review Referrals"
    assert len(manifest["name"]["short"]) <= 30
    assert manifest["name"]["full"]
    assert len(manifest["description"]["short"]) <= 80
    full = manifest["description"]["full"]
    assert len(full) <= 4000
    for phrase in (
        "rapid review",
        "Child Safeguarding Practice Review",
        "died or been seriously harmed",
        "abuse or neglect",
        "timescales",
        "does NOT take calls or messages about individual children",
        "front door (MASH)",
        "999",
    ):
        assert phrase in full
    assert manifest["accentColor"].startswith("#")


def test_every_link_is_https() -> None:
    manifest = good_manifest()
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert manifest["developer"][key].startswith("https://")
    assert manifest["$schema"].startswith("https://")


# --- ids ---------------------------------------------------------------------------------


def test_local_dev_id_is_a_fixed_guid() -> None:
    # The fixed id the README shows.
    assert LOCAL_DEV_BOT_ID == "9951a506-e3e8-580c-9ced-e88f4948d851"
    assert uuid.UUID(LOCAL_DEV_BOT_ID).version == 5
    assert teams_app_id_for(LOCAL_DEV_BOT_ID) == LOCAL_DEV_BOT_ID


def test_app_id_is_the_bot_id_when_it_is_a_guid_else_derived() -> None:
    assert teams_app_id_for(BOT_ID) == BOT_ID
    # Not a GUID (two digits too many): the derived id must stay the same from release to release.
    derived = teams_app_id_for("00000000-0000-0000-0000-00000000000011")
    assert derived == "05fd9356-96d2-5af4-8b67-047b2737d4dc"
    assert str(uuid.UUID(derived)) == derived


# --- the zip -----------------------------------------------------------------------------


def test_zip_has_exactly_the_three_files_at_its_root() -> None:
    files = unzip(build_package(app_id=BOT_ID, bot_id=BOT_ID, domain=DOMAIN, version="1.2.3"))
    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]
    assert files["color.png"] == (APP_PACKAGE / "color.png").read_bytes()
    assert files["outline.png"] == (APP_PACKAGE / "outline.png").read_bytes()


def test_same_inputs_give_the_same_zip_whenever_it_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = build_package(app_id=BOT_ID, bot_id=BOT_ID, domain=None, version="1.2.3")
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    a_year_later = time.time() + 366 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: a_year_later)
    assert build_package(app_id=BOT_ID, bot_id=BOT_ID, domain=None, version="1.2.3") == first


def test_build_refuses_an_invalid_package() -> None:
    with pytest.raises(PackageError) as caught:
        build_package(app_id="x", bot_id="y", domain="http://a/b", version="1")
    text = "\n".join(caught.value.problems)
    for field in ("id:", "bots[0].botId:", "validDomains[0]:", "version:"):
        assert field in text


# --- icons -------------------------------------------------------------------------------


def test_icons_have_teams_sizes_and_pass_the_checks() -> None:
    color = (APP_PACKAGE / "color.png").read_bytes()
    outline = (APP_PACKAGE / "outline.png").read_bytes()
    assert check_icons(color, outline) == []
    assert (decode_png(color).width, decode_png(color).height) == (192, 192)
    assert (decode_png(outline).width, decode_png(outline).height) == (32, 32)


def test_outline_is_only_white_and_transparent_rgba() -> None:
    image = decode_png((APP_PACKAGE / "outline.png").read_bytes())
    assert image.colour_type == 6
    pixels = list(image.pixels())
    assert all(a == 0 or (r, g, b) == (255, 255, 255) for r, g, b, a in pixels)
    assert any(a == 0 for *_, a in pixels)
    assert sum(1 for *_, a in pixels if a == 255) > 60  # a visible symbol, not a speck


def test_colour_icon_is_not_a_flat_colour() -> None:
    image = decode_png((APP_PACKAGE / "color.png").read_bytes())
    counts: dict[tuple[int, int, int, int], int] = {}
    for pixel in image.pixels():
        counts[pixel] = counts.get(pixel, 0) + 1
    assert len(counts) > 2
    # Three designed colours, each filling a real area: accent, white and the coral heart.
    large = [pixel for pixel, n in counts.items() if n > 200]
    assert len(large) >= 3
    assert all(a == 255 for *_, a in counts)


def test_icons_script_redraws_the_committed_pixels(tmp_path: Path) -> None:
    assert icons.main([str(tmp_path)]) == 0
    for name in ("color.png", "outline.png"):
        drawn = decode_png((tmp_path / name).read_bytes())
        committed = decode_png((APP_PACKAGE / name).read_bytes())
        assert drawn.rgba == committed.rgba, name


def test_icon_problems_are_named() -> None:
    flat_white = encode_png(32, 32, b"\xff\xff\xff\xff" * 32 * 32)
    red = encode_png(32, 32, b"\xff\x00\x00\xff" + b"\xff\xff\xff\x00" * (32 * 32 - 1))
    small_colour = encode_png(96, 96, b"\x10\x20\x30\xff" * 96 * 96)
    problems = check_icons(small_colour, red)
    assert "color.png: 96×96, must be 192×192" in problems
    assert any(p.startswith("outline.png: 1 pixel(s) neither white") for p in problems)
    assert check_icons(b"GIF89a", flat_white) == [
        "color.png: not a PNG file",
        "outline.png: no transparent pixels: the background must be transparent",
    ]


def test_png_encoder_and_decoder_agree() -> None:
    rgba = bytes(range(256)) * 3  # 192 pixels of every byte value
    image = decode_png(encode_png(16, 12, rgba))
    assert (image.width, image.height, image.colour_type, image.interlaced) == (16, 12, 6, False)
    assert image.rgba == rgba


def test_png_decoder_undoes_every_filter() -> None:
    # Rows with filters 0-4 built by hand, checked against the pixels they encode.
    import struct
    import zlib

    width = 3
    rows = [bytes([10 * y + x for x in range(width * 4)]) for y in range(5)]
    raw = bytearray()
    previous = bytes(width * 4)
    for kind, row in enumerate(rows):
        out = bytearray()
        for i, value in enumerate(row):
            left = row[i - 4] if i >= 4 else 0
            up = previous[i]
            corner = previous[i - 4] if i >= 4 else 0
            predictor = [0, left, up, (left + up) // 2, png._paeth(left, up, corner)][kind]
            out.append((value - predictor) & 0xFF)
        raw += bytes([kind]) + out
        previous = row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, 5, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )
    assert decode_png(data).rgba == b"".join(rows)


# --- validation problems -----------------------------------------------------------------


def test_broken_manifest_yields_named_problems() -> None:
    manifest = copy.deepcopy(good_manifest())
    manifest["name"]["short"] = "N" * 40
    manifest["developer"]["privacyUrl"] = "http://scp.example.org/privacy"
    manifest["validDomains"] = ["https://reviewbot.scp.example.org"]
    manifest["bots"][0]["commandLists"][0]["commands"][1]["title"] = "T" * 40
    manifest["bots"][0]["commandLists"][1]["commands"][0]["description"] = ""
    problems = validate_manifest(manifest)
    assert problems == [
        "name.short: 40 characters, at most 30",
        "developer.privacyUrl: 'http://scp.example.org/privacy' must start with https://",
        "validDomains[0]: 'https://reviewbot.scp.example.org' must be a bare host name"
        " (no scheme, port or path), e.g. reviewbot.scp.example.org",
        "bots[0].commandLists[0].commands[1].title: 40 characters, at most 32",
        "bots[0].commandLists[1].commands[0].description: missing or empty",
    ]


@pytest.mark.parametrize(
    ("domain", "ok"),
    [
        ("reviewbot.scp.example.org", True),
        ("*.scp.example.org", True),
        ("localhost", True),
        ("https://reviewbot.scp.example.org", False),
        ("reviewbot.scp.example.org/api/messages", False),
        ("reviewbot.scp.example.org:443", False),
        ("review bot.org", False),
        ("", False),
    ],
)
def test_valid_domains_are_bare_hosts(domain: str, ok: bool) -> None:
    assert (manifest_module.domain_problem(domain) is None) is ok


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://scp.example.org/privacy", True),
        ("https://scp.example.org:8443/a?b=c#d", True),
        ("http://scp.example.org/", False),
        ("https://", False),
        ("https://scp.example.org:99999/", False),
        ("https://scp example.org/", False),
        ("ftp://scp.example.org/", False),
    ],
)
def test_urls_must_be_well_formed_https(url: str, ok: bool) -> None:
    assert (manifest_module.url_problem(url) is None) is ok


def test_schema_errors_are_reported_with_their_path() -> None:
    manifest = good_manifest()
    manifest["accentColor"] = "teal"
    manifest["bots"][0]["scopes"] = ["personal", "everywhere"]
    problems = validate_manifest(manifest)
    assert any(p.startswith("accentColor: 'teal' does not match") for p in problems)
    assert any(p.startswith("bots[0].scopes[1]: 'everywhere'") for p in problems)
    assert all(p.endswith(f"(schema v{SCHEMA_VERSION})") for p in problems)


def test_unfilled_placeholder_and_wrong_version_are_problems() -> None:
    manifest = good_manifest()
    manifest["developer"]["name"] = "${{DEVELOPER_NAME}}"
    manifest["manifestVersion"] = "1.19"
    manifest["version"] = "0.1.0.dev1"
    problems = validate_manifest(manifest)
    assert "developer.name: placeholder left unfilled in '${{DEVELOPER_NAME}}'" in problems
    assert "manifestVersion: '1.19', but the vendored schema is v1.30" in problems
    assert "version: '0.1.0.dev1' is not X.Y.Z (semver, no pre-release suffix)" in problems


def test_missing_jsonschema_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    assert validate_manifest(good_manifest()) == [
        "jsonschema is needed to validate: pip install jsonschema"
    ]


# --- the CLI -----------------------------------------------------------------------------


def test_cli_writes_the_zip_with_settings_ids_and_host(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    code, stdout, stderr = invoke(
        "--out", str(out), "--version", "2.0.1", app_id=BOT_ID, public_host=DOMAIN
    )
    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[:4] == [
        f"wrote {out} (Teams manifest v1.30, app version 2.0.1)",
        f"  app id: {BOT_ID}",
        f"  bot id: {BOT_ID}",
        f"  valid domain: {DOMAIN}",
    ]
    assert "placeholders" in stdout  # the default developer links are flagged
    manifest = json.loads(unzip(out.read_bytes())["manifest.json"])
    assert (manifest["id"], manifest["bots"][0]["botId"]) == (BOT_ID, BOT_ID)
    assert manifest["validDomains"] == [DOMAIN]
    assert manifest["version"] == "2.0.1"
    assert not list(tmp_path.glob("*.partial"))


def test_cli_options_beat_settings(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    other = "a3bb189e-8bf9-3888-9912-ace4e6543002"
    code, stdout, _ = invoke(
        "--out",
        str(out),
        "--app-id",
        other,
        "--domain",
        "other.example.org",
        "--developer-name",
        REAL_DEVELOPER.name,
        "--website-url",
        REAL_DEVELOPER.website_url,
        "--privacy-url",
        REAL_DEVELOPER.privacy_url,
        "--terms-url",
        REAL_DEVELOPER.terms_url,
        app_id=BOT_ID,
        public_host=DOMAIN,
    )
    assert code == 0
    assert "placeholders" not in stdout
    manifest = json.loads(unzip(out.read_bytes())["manifest.json"])
    assert manifest["id"] == manifest["bots"][0]["botId"] == other
    assert manifest["validDomains"] == ["other.example.org"]
    assert manifest["developer"]["name"] == REAL_DEVELOPER.name


def test_cli_without_an_app_id_uses_the_local_dev_id(tmp_path: Path) -> None:
    out = tmp_path / "local.zip"
    code, stdout, stderr = invoke("--out", str(out))
    assert (code, stderr) == (0, "")
    assert f"bot id: {LOCAL_DEV_BOT_ID} (local development id" in stdout
    assert "valid domain: none" in stdout
    manifest = json.loads(unzip(out.read_bytes())["manifest.json"])
    assert manifest["id"] == manifest["bots"][0]["botId"] == LOCAL_DEV_BOT_ID
    assert manifest["version"] == manifest_module.project_version()
    assert schema_errors(manifest) == []


def test_cli_problems_exit_1_and_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "bad.zip"
    code, stdout, stderr = invoke(
        "--out",
        str(out),
        "--app-id",
        "not-a-guid",
        "--domain",
        "https://reviewbot.scp.example.org/api",
        "--version",
        "1.0",
        "--privacy-url",
        "http://scp.example.org/privacy",
    )
    assert code == 1
    assert stdout == ""
    lines = stderr.splitlines()
    assert lines[0] == "review-bot package: not built, 4 problem(s):"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "version",
        "developer.privacyUrl",
        "validDomains[0]",
        "bots[0].botId",
    ]
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_cli_creates_a_missing_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "build" / "app.zip"
    code, _, _ = invoke("--out", str(out), app_id=BOT_ID)
    assert code == 0
    assert out.exists()


def test_cli_reports_an_unwritable_destination(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    out = tmp_path / "a-file" / "app.zip"
    code, _, stderr = invoke("--out", str(out), app_id=BOT_ID)
    assert code == 1
    assert stderr.startswith(f"review-bot package: cannot write {out}: ")
    assert len(stderr.splitlines()) == 1


def test_an_ecmascript_only_schema_pattern_is_a_problem_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "properties": {"version": {"type": "string", "pattern": "^\\p{L}+$"}},
    }
    monkeypatch.setattr(manifest_module, "load_schema", lambda: schema)
    problems = validate_manifest(good_manifest())
    assert len(problems) == 1
    assert problems[0].startswith("manifest: a schema pattern Python cannot run")
