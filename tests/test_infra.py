"""The deployment's definitions, offline: checkov over infra/ and the Dockerfiles (at most three
failed checks, each explained where it fails), hadolint over the Dockerfiles, and what the Bicep
and the image must declare for the bot to run as the issue says.

Nothing here reaches Azure or a registry: checkov runs with --skip-download (no Prisma Cloud
look-ups), the Bicep is read by checkov's own parser (pycep), not compiled by the Bicep CLI.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser

from bot.app import create_app
from bot.settings import EXAMPLE_PARTNERSHIPS, Settings

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
BICEP = INFRA / "azure.bicep"
BOT_BICEP = INFRA / "botRegistration" / "azurebot.bicep"
DOCKERFILES = (ROOT / "Dockerfile", ROOT / "deploy" / "config-image" / "Dockerfile")
MAX_FAILED = 3
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is a dev dependency (pip install -e '.[dev]')")
    return found


@cache
def _checkov() -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            _tool("checkov"),
            "--directory",
            str(ROOT),
            "--framework",
            "bicep",
            "dockerfile",
            "--skip-download",
            "--compact",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={"PATH": str(BIN), "HOME": str(ROOT / ".venv"), "LOG_LEVEL": "ERROR"},
    )
    # checkov exits 1 when any check fails; what fails is judged below, not by its exit code.
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def _comments(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.strip().startswith(("//", "#")))


def test_checkov_fails_at_most_three_checks_each_explained_in_a_comment() -> None:
    reports = {report["check_type"]: report for report in _checkov()}
    assert set(reports) == {"bicep", "dockerfile"}
    scanned: set[str] = set()
    failed: list[tuple[str, str]] = []
    for report in reports.values():
        assert report["summary"]["parsing_errors"] == 0, report["results"]["parsing_errors"]
        results = report["results"]
        for check in results["passed_checks"] + results["failed_checks"]:
            scanned.add(check["file_path"].lstrip("/"))
        failed += [(c["check_id"], c["file_path"].lstrip("/")) for c in results["failed_checks"]]
    assert {"infra/azure.bicep", "Dockerfile", "deploy/config-image/Dockerfile"} <= scanned
    assert reports["bicep"]["summary"]["passed"] >= 30
    assert len(failed) <= MAX_FAILED, failed
    for check_id, file_path in failed:
        assert check_id in _comments(ROOT / file_path), (
            f"{check_id} is not explained in {file_path}"
        )


def test_hadolint_passes_every_dockerfile() -> None:
    result = subprocess.run(
        [_tool("hadolint"), *map(str, DOCKERFILES)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- what the Bicep declares ------------------------------------------------------------------


@cache
def _bicep(path: Path = BICEP) -> dict[str, Any]:
    parsed: dict[str, Any] = BicepParser().parse(text=path.read_text(encoding="utf-8"))
    return parsed


def _of_type(kind: str, path: Path = BICEP) -> list[dict[str, Any]]:
    found = [r for r in _bicep(path)["resources"].values() if r["type"] == kind]
    assert found, f"no {kind} in {path.name}"
    return found


def _app_settings() -> dict[str, Any]:
    (site,) = _of_type("Microsoft.Web/sites")
    return {
        s["name"]: s["value"] for s in site["config"]["properties"]["siteConfig"]["appSettings"]
    }


def test_the_bicep_declares_the_resources_the_bot_runs_on() -> None:
    (identity,) = _of_type("Microsoft.ManagedIdentity/userAssignedIdentities")
    (site,) = _of_type("Microsoft.Web/sites")
    properties = site["config"]["properties"]
    config = properties["siteConfig"]
    assert site["config"]["identity"]["type"] == "UserAssigned"
    assert (properties["httpsOnly"], config["minTlsVersion"], config["ftpsState"]) == (
        True,
        "1.2",
        "Disabled",
    )
    assert (config["alwaysOn"], config["healthCheckPath"]) == (True, "/readyz")
    assert config["scmIpSecurityRestrictionsDefaultAction"] == "Deny"
    (server,) = _of_type("Microsoft.DBforPostgreSQL/flexibleServers")
    auth = server["config"]["properties"]["authConfig"]
    assert (auth["activeDirectoryAuth"], auth["passwordAuth"]) == ("Enabled", "Disabled")
    assert server["config"]["properties"]["network"]["publicNetworkAccess"] == "Disabled"
    assert "administratorLoginPassword" not in json.dumps(server)
    (admin,) = _of_type("Microsoft.DBforPostgreSQL/flexibleServers/administrators")
    assert admin["config"]["properties"]["principalType"] == "ServicePrincipal"
    (vault,) = _of_type("Microsoft.KeyVault/vaults")
    assert vault["config"]["properties"]["publicNetworkAccess"] == "Disabled"
    assert vault["config"]["properties"]["enableRbacAuthorization"] is True
    _of_type("Microsoft.Insights/components")
    _of_type("Microsoft.OperationalInsights/workspaces")
    assert _bicep()["parameters"]["location"]["default"] == "uksouth"
    assert identity["config"]["location"] == "location"
    (bot,) = _of_type("Microsoft.BotService/botServices", BOT_BICEP)
    assert bot["config"]["properties"]["msaAppType"] == "UserAssignedMSI"
    (channel,) = _of_type("Microsoft.BotService/botServices/channels", BOT_BICEP)
    assert channel["config"]["properties"]["channelName"] == "MsTeamsChannel"


def test_every_app_setting_is_one_the_bot_or_the_platform_reads() -> None:
    settings = _app_settings()
    # The names the bot reads (its settings' first alias), plus the data keys (read by the
    # encryption layer) and what App Service and the Azure Monitor exporter read themselves.
    known = {
        field.validation_alias.choices[0]  # type: ignore[union-attr]
        for field in Settings.model_fields.values()
    } | {
        "REVIEW_BOT_DATA_KEYS",
        "WEBSITES_PORT",
        "WEBSITES_ENABLE_APP_SERVICE_STORAGE",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    }
    assert set(settings) <= known, set(settings) - known
    assert settings["MicrosoftAppType"] == "UserAssignedMsi"
    assert settings["REVIEW_BOT_DATABASE_AUTH"] == "entra"
    assert settings["REVIEW_BOT_DATA_KEYS"].startswith("@Microsoft.KeyVault(")
    assert settings["WEBSITES_PORT"] == "3978"
    assert "MicrosoftAppPassword" not in settings


def test_the_parameters_file_names_only_the_templates_parameters_and_no_secret() -> None:
    declared = _bicep()["parameters"]
    given = json.loads((INFRA / "azure.parameters.json").read_text())["parameters"]
    assert set(given) <= set(declared), set(given) - set(declared)
    required = {name for name, p in declared.items() if "default" not in p}
    assert required <= set(given), required - set(given)
    secure = {
        name
        for name, p in declared.items()
        if any(d["type"] == "secure" for d in p.get("decorators", []))
    }
    assert secure == {"dataKeys"}
    for name in secure:
        # Only the Toolkit's placeholder for a value kept in the ignored env/.env.dev.user.
        assert re.fullmatch(r"\$\{\{SECRET_[A-Z_]+\}\}", given[name]["value"])


# --- the image --------------------------------------------------------------------------------


def test_the_image_runs_the_bot_as_a_non_root_user_on_its_own_health_route(
    tmp_path: Path,
) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert 'ENTRYPOINT ["review-bot"]' in dockerfile
    assert 'CMD ["serve"]' in dockerfile
    assert re.search(r"REVIEW_BOT_HOST=0\.0\.0\.0", dockerfile)
    (health,) = re.findall(r"^HEALTHCHECK .*?/(\w+)'", dockerfile, re.MULTILINE | re.DOTALL)
    # The routes it and App Service ask are the app's own.
    app = create_app(Settings(data_dir=tmp_path / "data", partnerships=EXAMPLE_PARTNERSHIPS))
    routes = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    assert f"/{health}" in routes
    (site,) = _of_type("Microsoft.Web/sites")
    assert site["config"]["properties"]["siteConfig"]["healthCheckPath"] in routes
    # Bound beyond loopback, the image's settings refuse to start without credentials.
    with pytest.raises(ValueError, match="MicrosoftAppId"):
        Settings(host="0.0.0.0")


def test_the_build_context_admits_the_package_only() -> None:
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]
    assert rules[0] == "*"  # everything is left out unless admitted below
    admitted = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert not admitted & {"tests", "data", "env", ".env", "infra", "examples", ".git", ".venv"}
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", (ROOT / "Dockerfile").read_text(), re.M)
    sources = {s.rstrip("/") for line in copied for s in line.split()}
    assert sources <= admitted, sources - admitted
