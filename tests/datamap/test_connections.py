"""Where another system's URL comes from (datamap/connections.py): its environment variable,
else the secrets file, which must be readable by its owner only; a bad file or a missing URL
is a clear error naming the setting, never a URL or password."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataskydd.config import Settings
from dataskydd.datamap import connections
from dataskydd.errors import ConfigurationError

SECRET_URL = "postgresql://shop:hemligt@db.example.se/shop"


def secrets(tmp_path: Path, text: str, mode: int = 0o600) -> Settings:
    path = tmp_path / "systems.yaml"
    path.write_text(text)
    path.chmod(mode)
    return Settings(systems_secrets_file=path)


def test_the_environment_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATASKYDD_SYSTEM_SHOP_URL", "sqlite:///from-env.db")
    settings = secrets(tmp_path, f"shop: {SECRET_URL}\n")
    assert connections.system_url("shop", settings) == "sqlite:///from-env.db"


def test_the_secrets_file_gives_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATASKYDD_SYSTEM_SHOP_URL", raising=False)
    assert connections.system_url("shop", secrets(tmp_path, f"shop: {SECRET_URL}\n")) == SECRET_URL


@pytest.mark.parametrize(
    ("text", "mode", "says"),
    [
        (f"shop: {SECRET_URL}\n", 0o644, "may be read by others"),
        ("- just a list\n", 0o600, "must map system keys to URLs"),
        ("shop: [unclosed\n", 0o600, "not a readable YAML file"),
    ],
    ids=["readable-by-others", "not-a-mapping", "not-yaml"],
)
def test_a_bad_secrets_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, mode: int, says: str
) -> None:
    monkeypatch.delenv("DATASKYDD_SYSTEM_SHOP_URL", raising=False)
    with pytest.raises(ConfigurationError) as raised:
        connections.system_url("shop", secrets(tmp_path, text, mode))
    assert "DATASKYDD_SYSTEMS_SECRETS_FILE" in raised.value.message
    assert says in raised.value.message
    assert "hemligt" not in raised.value.message


def test_a_missing_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATASKYDD_SYSTEM_SHOP_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DATASKYDD_SYSTEM_SHOP_URL"):
        connections.system_url("shop", Settings())


def test_messages_show_no_password() -> None:
    assert "hemligt" not in connections.describe(SECRET_URL)
    with pytest.raises(ConfigurationError, match="not supported"):
        connections.parse_url("oracle://u:hemligt@h/db")
