"""The DPO's page of systems (/systems): each system of the data map with its kind, whether it
answers, its tables and categories, and the findings of the check; in Swedish and English,
never a URL or a password."""

from __future__ import annotations

import io
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract
from sqlalchemy import MetaData, create_engine

from dataskydd.datamap import connections, map_check
from dataskydd.policy.schema import Policy
from tests.conftest import data_map_beside
from tests.datamap.test_map_check import CRM_YAML, URL_VARIABLE, crm_schema, write_maps
from tests.policy_keys import CUSTOMER_SERVICE, DPO
from tests.web.conftest import ClientFor

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

PASSWORD = "Hemligt-Lösen-42"


@pytest.fixture
def map_dir(policy_file: Path | None) -> Path | None:
    """The data map the app is configured with: the company's (None: the bundled map)."""
    return data_map_beside(policy_file)


@pytest.fixture
def data_map_dir(map_dir: Path | None) -> Path | None:
    """The web app (tests/web/conftest.py) is configured with this module's map."""
    return map_dir


def test_the_dpo_sees_the_register(client_for: ClientFor, policy: Policy) -> None:
    page = client_for(DPO).get("/systems")
    assert page.status_code == 200
    body = page.text
    assert "<h1>System</h1>" in body
    assert 'id="system-register"' in body
    assert "Kundregistret" in body
    assert "Det inbyggda registret" in body
    assert "<td>Ja</td>" in body
    assert "Senast hanterade begäran" in body
    assert "<td>–</td>" in body
    some_category = next(iter(policy.categories.values()))
    assert some_category.title.sv in body
    assert "Kontrollen hittar inget att åtgärda." in body
    assert 'href="/systems"' in body


def test_in_english(client_for: ClientFor, policy: Policy) -> None:
    page = client_for(DPO).get("/systems", params={"lang": "en"})
    assert page.status_code == 200
    assert "<h1>Systems</h1>" in page.text
    assert "Built-in register" in page.text
    assert "Last request handled" in page.text
    assert next(iter(policy.categories.values())).title.en in page.text


def test_customer_service_may_not(client_for: ClientFor) -> None:
    client = client_for(CUSTOMER_SERVICE)
    assert client.get("/systems").status_code == 403
    assert 'href="/systems"' not in client.get("/account").text


# The map of tests/datamap (its register and CRM) names Omilon's categories.
OMILON_MAPS = pytest.mark.omilon_only(reason="the test maps of tests/datamap use its categories")


@OMILON_MAPS
class TestAnUnreachableSystem:
    @pytest.fixture
    def map_dir(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        monkeypatch.setenv(URL_VARIABLE, f"postgresql://crm:{PASSWORD}@127.0.0.1:1/crm")
        return write_maps(tmp_path / "map", crm=CRM_YAML)

    def test_is_shown_unreachable_with_the_reason(self, client_for: ClientFor) -> None:
        body = client_for(DPO).get("/systems").text
        assert 'id="system-crm"' in body
        assert "Kundsystemet" in body
        assert "PostgreSQL" in body
        assert "<strong>Går inte att nå</strong>: anslutningen nekades" in body
        assert URL_VARIABLE in body  # the finding names the setting to fix
        for leak in (PASSWORD, "127.0.0.1", "postgresql://", "crm:"):
            assert leak not in body

    def test_in_english(self, client_for: ClientFor) -> None:
        body = client_for(DPO).get("/systems", params={"lang": "en"}).text
        assert "<strong>Unreachable</strong>: the connection was refused" in body
        assert PASSWORD not in body


@OMILON_MAPS
class TestAReachableSystem:
    @pytest.fixture
    def map_dir(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
        url = f"sqlite:///{tmp_path / 'crm.db'}"
        metadata = MetaData()
        crm_schema(metadata)
        admin = create_engine(url)
        metadata.create_all(admin)
        admin.dispose()
        monkeypatch.setenv(URL_VARIABLE, url)
        yield write_maps(tmp_path / "map", crm=CRM_YAML.replace("      note: support\n", ""))
        connections.engine_for(url, True).dispose()

    def test_shows_its_kind_tables_and_findings(self, client_for: ClientFor) -> None:
        body = client_for(DPO).get("/systems").text
        row = body[body.index('id="system-crm"') :]
        row = row[: row.index("</tr>")]
        assert "<td>SQLite</td>" in row
        assert "<td>Ja</td>" in row
        assert "<td>2</td>" in row  # customer and orders
        assert "1 anmärkning" in row
        assert "customer.note is neither a personal-data column" in body
        assert "crm.yaml" in body


def _catalogue_ids() -> set[str]:
    folder = resources.files("dataskydd.web").joinpath("locales/sv/LC_MESSAGES")
    ids: set[str] = set()
    for source in folder.iterdir():
        if source.name.endswith(".po"):
            with source.open("rb") as handle:
                for message in read_po(handle, locale="sv"):
                    if message.id and message.string:
                        ids.add(message.id if isinstance(message.id, str) else message.id[0])
    return ids


def test_every_text_of_the_page_has_its_swedish() -> None:
    template = resources.files("dataskydd.web").joinpath("templates/systems.html").read_bytes()
    found = babel_extract(io.BytesIO(template), ("_", "ngettext"), [], {"trimmed": "false"})
    texts = set()
    for _line, _function, message, _comments in found:
        text = message if isinstance(message, str | None) else message[0]
        if text is not None:  # `_(system.reason)`: the reasons are checked below
            texts.add(text)
    assert "Systems" in texts
    assert texts - _catalogue_ids() == set()


def test_every_reason_a_system_is_unreachable_has_its_swedish() -> None:
    assert map_check.NO_ANSWER in map_check.UNREACHABLE_REASONS
    assert map_check.UNREACHABLE_REASONS - _catalogue_ids() == set()
