"""The Microsoft 365 Agents Toolkit's project files: every `${{NAME}}` they use is defined in the
environment files (or kept as a secret in the ignored `.user` file), the manifest template the
Toolkit fills validates against the official schema, and the package command it runs builds.
The Toolkit itself (and Azure) is not run here.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import shlex
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import open_store
from bot.settings import load_settings
from cli.main import run as cli
from teamsapp.manifest import TEMPLATE_PATH, validate_manifest

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = {"dev": ROOT / "m365agents.yml", "local": ROOT / "m365agents.local.yml"}
PLACEHOLDER = re.compile(r"\$\{\{([A-Za-z0-9_]+)\}\}")
# What provisioning writes into the environment file (teamsApp/create, arm/deploy outputs).
PROVISIONED = {
    "TEAMS_APP_ID": "20000000-0000-0000-0000-00000000000a",
    "BOT_ID": "10000000-0000-0000-0000-00000000000b",
    "BOT_TENANT_ID": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "BOT_DOMAIN": "reviewbotx1y2z3.azurewebsites.net",
}
TOOLKIT_ACTIONS = {
    "teamsApp/create",
    "teamsApp/validateManifest",
    "teamsApp/validateAppPackage",
    "teamsApp/update",
    "teamsApp/publishAppPackage",
    "arm/deploy",
    "aadApp/create",
    "botFramework/create",
    "cli/runCommand",
    "file/createOrUpdateEnvironmentFile",
}


def _environment(name: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (ROOT / "env" / f".env.{name}").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _steps(project: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for stage in ("provision", "deploy", "publish") for step in project.get(stage, [])]


@pytest.mark.parametrize("env", sorted(PROJECTS))
def test_every_placeholder_is_defined_or_a_kept_secret(env: str) -> None:
    defined = set(_environment(env))
    used = set(PLACEHOLDER.findall(PROJECTS[env].read_text(encoding="utf-8")))
    used |= set(PLACEHOLDER.findall(TEMPLATE_PATH.read_text(encoding="utf-8")))
    if env == "dev":
        used |= set(PLACEHOLDER.findall((ROOT / "infra" / "azure.parameters.json").read_text()))
    # SECRET_* values live in env/.env.<env>.user, which the Toolkit encrypts and git ignores.
    missing = {name for name in used - defined if not name.startswith("SECRET_")}
    assert missing == set()


@pytest.mark.parametrize("env", sorted(PROJECTS))
def test_the_project_uses_toolkit_actions_on_files_that_exist(env: str) -> None:
    project = yaml.safe_load(PROJECTS[env].read_text(encoding="utf-8"))
    assert project["version"] == "v1.9"
    stages = {"provision", "deploy", "publish"} if env == "dev" else {"provision", "deploy"}
    assert stages <= set(project)
    for step in _steps(project):
        assert step["uses"] in TOOLKIT_ACTIONS, step["uses"]
        arguments = step.get("with", {})
        for key in ("manifestPath",):
            if key in arguments:
                assert (ROOT / arguments[key]).is_file(), arguments[key]
        for template in arguments.get("templates", []):
            assert (ROOT / template["path"]).is_file()
            assert (ROOT / template["parameters"]).is_file()


@pytest.mark.parametrize("env", sorted(PROJECTS))
def test_the_manifest_template_filled_by_the_toolkit_is_valid(env: str) -> None:
    values = {**_environment(env), **PROVISIONED}
    manifest = json.loads(_fill(TEMPLATE_PATH.read_text(encoding="utf-8"), values))
    assert validate_manifest(manifest) == []
    assert manifest["id"] == PROVISIONED["TEAMS_APP_ID"]
    assert manifest["bots"][0]["botId"] == PROVISIONED["BOT_ID"]
    assert manifest["validDomains"] == [PROVISIONED["BOT_DOMAIN"]]
    assert manifest["supportedChannelTypes"] == ["sharedChannels", "privateChannels"]


@pytest.mark.parametrize("env", sorted(PROJECTS))
def test_the_toolkits_package_step_builds_the_package(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = yaml.safe_load(PROJECTS[env].read_text(encoding="utf-8"))
    commands = [
        step["with"]["command"]
        for step in _steps(project)
        if step["uses"] == "cli/runCommand" and "review-bot package" in step["with"]["command"]
    ]
    assert commands
    values = {**_environment(env), **PROVISIONED}
    monkeypatch.chdir(tmp_path)  # the Toolkit runs it in the project folder; the zip goes here
    for command in commands:
        argv = shlex.split(_fill(command, values))
        assert argv[:2] == ["review-bot", "package"]
        stderr = io.StringIO()
        assert cli(argv[1:], stdout=io.StringIO(), stderr=stderr) == 0, stderr.getvalue()
    (built,) = (tmp_path / "build" / "appPackage").glob("appPackage.*.zip")
    with zipfile.ZipFile(built) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["id"] == PROVISIONED["TEAMS_APP_ID"]
    assert manifest["bots"][0]["botId"] == PROVISIONED["BOT_ID"]
    assert manifest["version"] == values["APP_VERSION"]


@pytest.mark.parametrize("env", sorted(PROJECTS))
def test_no_secret_is_committed_and_the_users_file_is_ignored(env: str) -> None:
    for key, value in _environment(env).items():
        if re.search(r"SECRET|PASSWORD|DATA_KEYS", key):
            assert value == "", key
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", f"env/.env.{env}.user"], cwd=ROOT, timeout=30
    )
    assert ignored.returncode == 0


def test_the_local_run_starts_with_a_development_key_file_beside_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The `.env` the local project writes (credentials, no data keys): the bot, on loopback,
    # makes its key file outside the data directory with a warning, and starts.
    project = yaml.safe_load(PROJECTS["local"].read_text(encoding="utf-8"))
    (written,) = [
        step["with"]
        for step in _steps(project)
        if step["uses"] == "file/createOrUpdateEnvironmentFile"
    ]
    assert written["target"] == "./.env"
    values = {**_environment("local"), **PROVISIONED, "SECRET_BOT_PASSWORD": "not-a-secret"}
    env_lines = [f"{key}={_fill(str(value), values)}" for key, value in written["envs"].items()]
    assert not any(line.startswith("REVIEW_BOT_DATA_KEYS") for line in env_lines)
    monkeypatch.delenv("REVIEW_BOT_DATA_KEYS", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("\n".join(env_lines) + "\n", encoding="utf-8")
    settings = load_settings()
    assert settings.authentication_enabled
    assert settings.data_keys is None
    with caplog.at_level(logging.WARNING):
        store = asyncio.run(open_store(settings))
    asyncio.run(store.close())
    assert (tmp_path / "data.keys").is_file()
    assert not (tmp_path / "data" / "data.keys").exists()
    assert any("made a development key" in r.getMessage() for r in caplog.records)
