"""A domain error built from values reaches the reader in the reader's language: the staff
page and the JSON problem translate its template and then fill in the values; the API keeps
a stable English `detail` and machine-readable `error` kind beside the translated `message`.
"""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataskydd.auth import api_keys
from dataskydd.errors import InvalidInput, NotFound
from dataskydd.messages_i18n import Msg, joined
from dataskydd.register import service as register_service
from dataskydd.web import i18n
from dataskydd.web.templating import make_templates
from tests.policy_keys import COMPANY, CONTRACT_PURPOSE, CUSTOMER_SERVICE
from tests.web.conftest import ClientFor

# Holds for any company's policy: the purpose asked for is one no policy has.
pytestmark = pytest.mark.every_company

NONSENSE = "nonsense"


@pytest.fixture
def subject_id(session: Session) -> int:
    subject = register_service.create_subject(
        session,
        actor="test",
        data={"given_name": "Astrid", "family_name": "Lindqvist", "emails": ["a@example.se"]},
    )
    session.commit()
    return subject.id


class TestStaffPage:
    def test_an_unknown_purpose_is_told_in_swedish(
        self, client_for: ClientFor, subject_id: int
    ) -> None:
        page = client_for(CUSTOMER_SERVICE).get(
            f"/subjects/{subject_id}/view", params={"purpose": NONSENSE, "lang": "sv"}
        )
        assert page.status_code == 404
        text = html.unescape(page.text)
        assert f"okänt ändamål '{NONSENSE}' i policyn (giltiga: " in text
        assert "unknown purpose" not in text

    def test_and_in_english_when_english_is_chosen(
        self, client_for: ClientFor, subject_id: int
    ) -> None:
        page = client_for(CUSTOMER_SERVICE).get(
            f"/subjects/{subject_id}/view", params={"purpose": NONSENSE, "lang": "en"}
        )
        assert page.status_code == 404
        text = html.unescape(page.text)
        assert f"unknown purpose '{NONSENSE}' in the policy (valid: " in text
        assert "okänt ändamål" not in text


class TestJsonProblem:
    @pytest.fixture
    def headers(self, session: Session) -> dict[str, str]:
        _row, key = api_keys.create_api_key(
            session,
            actor="test",
            policy=COMPANY,
            name="integration",
            purposes=[CONTRACT_PURPOSE],
            can_write=False,
        )
        session.commit()
        return {"Authorization": f"Bearer {key}"}

    @pytest.mark.parametrize(
        ("lang", "message"),
        [("sv", f"okänt ändamål '{NONSENSE}' i policyn"), ("en", f"unknown purpose '{NONSENSE}'")],
    )
    def test_the_kind_and_detail_are_stable_and_the_message_is_translated(
        self,
        anonymous: TestClient,
        headers: dict[str, str],
        subject_id: int,
        lang: str,
        message: str,
    ) -> None:
        response = anonymous.get(
            f"/api/v1/subjects/{subject_id}",
            params={"purpose": NONSENSE, "lang": lang},
            headers=headers,
        )
        body = response.json()
        assert response.status_code == 404, body
        assert body["error"] == "NotFound"
        assert body["detail"].startswith(f"unknown purpose '{NONSENSE}' in the policy")
        assert body["message"].startswith(message)


class TestRendering:
    def test_a_template_is_translated_before_its_values_are_filled(self) -> None:
        error = InvalidInput("reason", Msg("is longer than {limit} characters", limit=500))
        token = i18n.current_language.set("sv")
        try:
            assert i18n.gettext_(error.reason) == "är längre än 500 tecken"
            assert i18n.gettext_(error.message) == "reason: är längre än 500 tecken"
        finally:
            i18n.current_language.reset(token)
        assert str(error) == "reason: is longer than 500 characters"
        assert error.message == "reason: is longer than 500 characters"

    def test_messages_inside_messages_are_translated_too(self) -> None:
        parts = joined([Msg("is required"), Msg("must be at least 1")])
        token = i18n.current_language.set("sv")
        try:
            assert i18n.gettext_(NotFound(parts).message) == "krävs; måste vara minst 1"
        finally:
            i18n.current_language.reset(token)

    def test_a_message_put_in_a_page_as_it_is_is_shown_translated_and_escaped(self) -> None:
        # `{{ error }}` of every page, where a handler passes `problem.message` on.
        template = make_templates().env.from_string("<p>{{ error }}</p>")
        error = Msg("no table {more} is shown for this purpose", more="<b>")
        shown = {}
        for lang in i18n.LANGUAGES:
            token = i18n.current_language.set(lang)
            try:
                shown[lang] = template.render(error=error)
            finally:
                i18n.current_language.reset(token)
        assert shown["sv"] == "<p>ingen tabell &lt;b&gt; visas för det här ändamålet</p>"
        assert shown["en"] == "<p>no table &lt;b&gt; is shown for this purpose</p>"

    def test_values_are_escaped_in_templates(self) -> None:
        # `{{ _(problem) }}` (Mina sidor's field errors): Jinja marks what `_` returns safe.
        template = make_templates().env.from_string("<p>{{ _(problem) }}</p>")
        problem = Msg("no table {more} is shown for this purpose", more="<b>100%</b>")
        token = i18n.current_language.set("en")
        try:
            shown = template.render(problem=problem)
        finally:
            i18n.current_language.reset(token)
        assert shown == "<p>no table &lt;b&gt;100%&lt;/b&gt; is shown for this purpose</p>"
