"""Settings: names, validation, and no unauthenticated bot beyond loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import EXAMPLE_PARTNERSHIPS, SettingsError, is_loopback, load_settings
from tests.support.keys import TEST_KEYS


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [
        "REVIEW_BOT_HOST",
        "REVIEW_BOT_PORT",
        "REVIEW_BOT_DATA_DIR",
        "REVIEW_BOT_PARTNERSHIPS",
        "MicrosoftAppId",
        "MicrosoftAppPassword",
        "MicrosoftAppType",
        "MicrosoftAppTenantId",
        "REVIEW_BOT_DATA_KEYS",
        "REVIEW_BOT_KEY_FILE",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    settings = load_settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.data_dir == Path("data")
    assert settings.partnerships == EXAMPLE_PARTNERSHIPS
    assert settings.authentication_enabled is False


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_BOT_PORT", "4000")
    monkeypatch.setenv("REVIEW_BOT_DATA_DIR", "/var/lib/review-bot")
    monkeypatch.setenv("MicrosoftAppId", "11111111-1111-1111-1111-111111111111")
    monkeypatch.setenv("MicrosoftAppPassword", "secret")
    monkeypatch.setenv("MicrosoftAppTenantId", "tenant")
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", TEST_KEYS)
    settings = load_settings()
    assert settings.port == 4000
    assert settings.data_dir == Path("/var/lib/review-bot")
    assert settings.app_type == "SingleTenant"
    assert settings.authentication_enabled is True
    assert "secret" not in repr(settings)
    assert TEST_KEYS.split(":")[1] not in repr(settings)


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REVIEW_BOT_PORT=3999\n")
    assert load_settings().port == 3999


def test_no_credentials_on_a_public_address_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REVIEW_BOT_HOST", "0.0.0.0")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert len(info.value.problems) == 1
    assert "REVIEW_BOT_HOST" in info.value.problems[0]
    assert "MicrosoftAppId" in info.value.problems[0]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_no_credentials_on_loopback_is_allowed(host: str) -> None:
    assert load_settings(host=host).authentication_enabled is False


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "bot.example.org", "::"])
def test_non_loopback_hosts(host: str) -> None:
    assert is_loopback(host) is False


def test_credentials_allow_a_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_BOT_HOST", "0.0.0.0")
    monkeypatch.setenv("MicrosoftAppId", "11111111-1111-1111-1111-111111111111")
    monkeypatch.setenv("MicrosoftAppType", "UserAssignedMSI")
    monkeypatch.setenv("MicrosoftAppTenantId", "tenant")
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", TEST_KEYS)
    assert load_settings().host == "0.0.0.0"


def test_each_problem_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_BOT_PORT", "not-a-port")
    monkeypatch.setenv("MicrosoftAppType", "Anonymous")
    with pytest.raises(SettingsError) as info:
        load_settings()
    problems = info.value.problems
    assert len(problems) == 2
    assert any(p.startswith("REVIEW_BOT_PORT:") for p in problems)
    assert any(p.startswith("MicrosoftAppType:") for p in problems)


def test_single_tenant_needs_password_and_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MicrosoftAppId", "11111111-1111-1111-1111-111111111111")
    monkeypatch.setenv("REVIEW_BOT_DATA_KEYS", TEST_KEYS)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert sorted(p.split(":")[0] for p in info.value.problems) == [
        "MicrosoftAppPassword",
        "MicrosoftAppTenantId",
    ]
