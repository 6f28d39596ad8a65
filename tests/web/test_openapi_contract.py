"""The contract is the truth (issue 9): every operation answers only what /openapi.json says.

schemathesis reads the document the app serves (web/openapi.py) and sends every operation
generated requests: the coverage phase's edge cases (boundaries, wrong types, missing and
extra fields, undeclared methods) and a bounded, derandomized fuzzing phase of valid and
invalid data. Every check runs on every answer: no 5xx, only documented status codes, content
types, headers and bodies, invalid data refused (a `0` is not a date, `false` is not a number),
valid data accepted, auth enforced. With an API key that may do everything the policy lets a
key do, on SQLite and on PostgreSQL, and with no key at all (RUNS), on a migrated database.
test_no_type_is_coerced adds the strict-type cases deterministically.

Half of the generated path ids name real rows (a subject with a contract, a connection and an
invoice), so requests get past the 404 to the rules behind it. The client is a browser (its
User-Agent), so /collect and the pixel run their rules instead of ignoring a bot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dataskydd.access.consents import give_consent
from dataskydd.auth import api_keys
from dataskydd.policy.schema import LegalBasis, Policy
from dataskydd.register import records
from dataskydd.register import service as register_service
from dataskydd.web.openapi import CONFLICTS, HAND_READ_BODIES

# Lower case: the ASGI client's own `user-agent` would otherwise win.
BROWSER = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128"}
# Fuzzed examples per operation; the coverage phase adds its deterministic edge cases. Without
# a key every API operation stops at the 401 before its body is read, so fewer are enough; on
# PostgreSQL the same derandomized inputs as on SQLite, fewer of them: what it adds is the
# database's own refusals (NUL bytes, integer ranges), which the first examples reach.
MAX_EXAMPLES = 15
MAX_EXAMPLES_ON_POSTGRESQL = 6
MAX_EXAMPLES_WITHOUT_A_KEY = 5

CheckFunction = Callable[..., Any]

# Rules of request bodies that JSON Schema cannot state, by operation: the fields a 422 may
# blame on schema-valid data (as `problems` names them), and why the schema cannot say it.
# Only these make positive_data_acceptance fail by construction, so only a 422 blaming
# nothing but these fields is let through; any other refusal of valid data still fails.
BEYOND_SCHEMA: dict[str, tuple[str, str]] = {
    "POST /api/v1/subjects": (
        r"personnummer|organisationsnummer|emails\.\d+|phones\.\d+",
        "check digits (Luhn) of personnummer/organisationsnummer; phone numbers valid in their"
        " country's numbering plan; e-mail addresses as email-validator reads RFC 5321/6531",
    ),
    "PATCH /api/v1/subjects/{subject_id}": (
        r"personnummer|organisationsnummer|email|phone|kind",
        "the same identifier, phone and e-mail rules as creating a subject; and which names"
        " fit (`kind`) depends on the stored subject, a person or an organisation",
    ),
    "POST /api/v1/subjects/{subject_id}/contracts": (
        r"ends_on|services\.\d+\.ends_on|services\.\d+\.service_code",
        "an end date not before the start date compares two fields; a service must be in the"
        " catalogue (the `service` table): data, not a rule a schema can hold",
    ),
    "POST /api/v1/subjects/{subject_id}/equipment": (
        r"returned_on",
        "a return date not before the installation compares two fields",
    ),
    "POST /api/v1/subjects/{subject_id}/connections": (
        r"deactivated_on|contract_id",
        "a deactivation not before the activation compares two fields; `contract_id` must"
        " name a contract of this subject: data, not a rule a schema can hold",
    ),
    "POST /api/v1/subjects/{subject_id}/connections/{connection_id}/ip-assignments": (
        r"released_at",
        "a release not before the assignment compares two fields",
    ),
    "POST /api/v1/subjects/{subject_id}/invoices": (
        r"due_on|vat_amount",
        "due date not before issue date, VAT not above the amount: comparisons of two fields",
    ),
    "POST /api/v1/subjects/{subject_id}/correspondence": (
        r"sender_address",
        "e-mail addresses as email-validator reads RFC 5321/6531",
    ),
    "POST /api/v1/subjects/{subject_id}/support-cases": (
        r"closed_at",
        "a closing time not before the opening compares two fields",
    ),
    "POST /api/v1/subjects/{subject_id}/participation": (
        r"activity_code",
        "the activity must exist in the register: data, not a rule a schema can hold",
    ),
    # The period's rules compare fields with each other and with today's date.
    "GET /api/v1/analytics/summary": (
        r"preset|from|to",
        "a preset or from/to, from not after to, to not after today, at most 400 days",
    ),
    "GET /api/v1/analytics/tables/{table}": (
        r"preset|from|to",
        "a preset or from/to, from not after to, to not after today, at most 400 days",
    ),
}


def _blames_only_rules_beyond_schema(case: Any, response: Any) -> bool:
    allowed = BEYOND_SCHEMA.get(case.operation.label)
    if allowed is None or response.status_code != 422:
        return False
    try:
        problems = response.json().get("problems") or []
    except ValueError:
        return False
    fields = [str(problem.get("field", "")) for problem in problems]
    return bool(fields) and all(re.fullmatch(allowed[0], field) for field in fields)


def all_checks() -> list[CheckFunction]:
    """Every check schemathesis has (a future version's new ones too), with
    positive_data_acceptance narrowed as BEYOND_SCHEMA explains."""
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    checks = [check for check in CHECKS.get_all() if callable(check)]
    builtin = next(check for check in checks if check.__name__ == "positive_data_acceptance")

    def positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
        if _blames_only_rules_beyond_schema(case, response):
            return None
        return builtin(ctx, response, case)  # type: ignore[no-any-return]

    return [positive_data_acceptance if check is builtin else check for check in checks]


@pytest.fixture
def real_rows(session: Session, policy: Policy) -> dict[str, int]:
    """A subject any write key may write about, with a contract, a connection and an invoice:
    path ids by parameter name."""
    subject = register_service.create_subject(
        session,
        actor="test",
        data={
            "kind": "person",
            "given_name": "Anna",
            "family_name": "Svensson",
            "personnummer": "811228-9874",
            "emails": ["anna.svensson@example.se"],
        },
    )
    for purpose in policy.api_access.write_purposes:
        if policy.purposes[purpose].legal_basis is LegalBasis.CONSENT:
            give_consent(session, subject_id=subject.id, purpose=purpose, channel="staff")
    records.add_contract(
        session,
        actor="test",
        subject_id=subject.id,
        data={"contract_number": "A-1", "signed_on": "2024-01-02", "starts_on": "2024-02-01"},
    )
    connection = records.add_connection(
        session,
        actor="test",
        subject_id=subject.id,
        data={
            "access_kind": "fibre",
            "street": "Storgatan 1",
            "postal_code": "111 22",
            "city": "Stockholm",
            "activated_on": "2024-02-01",
        },
    )
    invoice = records.add_invoice(
        session,
        actor="test",
        subject_id=subject.id,
        data={
            "invoice_number": "F-1",
            "issued_on": "2024-03-01",
            "due_on": "2024-03-31",
            "amount": "399.00",
        },
    )
    session.commit()
    return {"subject_id": subject.id, "connection_id": connection.id, "invoice_id": invoice.id}


# (database, caller) per run. Without a key every API operation stops at the same 401 on
# either database, so that run is made on SQLite only; the runs with the key, which reach the
# queries, are made on both.
KEYED_RUNS = [
    pytest.param(("sqlite", "api_key"), id="sqlite-api_key"),
    pytest.param(("postgresql", "api_key"), id="postgresql-api_key", marks=pytest.mark.postgres),
]
NO_KEY_RUN = pytest.param(("sqlite", "no_key"), id="sqlite-no_key")
RUNS = [*KEYED_RUNS, NO_KEY_RUN]


# The tests of the document itself need an app, not every database.
ONE_RUN = pytest.mark.parametrize("run", [("sqlite", "no_key")], indirect=True)


@pytest.fixture(params=RUNS)
def run(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def engine(run: tuple[str, str], request: pytest.FixtureRequest) -> Engine:
    """The run's database (in place of tests/conftest.py's, which runs every backend)."""
    fixture = "sqlite_engine" if run[0] == "sqlite" else "postgres_engine"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def caller(run: tuple[str, str], session: Session, policy: Policy) -> dict[str, str]:
    """The caller's headers: a key with every purpose a key may have and write access, or
    none."""
    headers = dict(BROWSER)
    if run[1] == "api_key":
        _row, key = api_keys.create_api_key(
            session,
            actor="test",
            policy=policy,
            name="contract test",
            purposes=list(policy.api_access.read_purposes),
            can_write=True,
        )
        session.commit()
        headers["Authorization"] = f"Bearer {key}"
    return headers


@pytest.fixture
def contract_schema(app: FastAPI, caller: dict[str, str], real_rows: dict[str, int]) -> Any:
    """The document the app serves; `caller` parametrizes the test through this fixture."""
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)

    @loaded.hook("flatmap_path_parameters")
    def half_real(_context: Any, generated: dict[str, Any] | None) -> st.SearchStrategy[Any]:
        if not generated:
            return st.just(generated)
        # Only a valid id is swapped for a real one: swapping a negative case's spoiled id
        # would make the request valid while schemathesis still expects it refused.
        real = {
            name: real_rows.get(name, value) if _valid_id(value) else value
            for name, value in generated.items()
        }
        return st.sampled_from([generated, real])

    return loaded


def _valid_id(value: Any) -> bool:
    return type(value) is int and 1 <= value <= 2**31 - 1


schema = schemathesis.pytest.from_fixture("contract_schema")


def _keep_the_contract(case: Any, caller: dict[str, str]) -> None:
    headers = dict(caller)
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        # The case leaves out or spoils its one header, the API key's, on purpose: sending
        # the caller's key in its place would make the request valid.
        headers.pop("Authorization", None)
    case.call_and_validate(headers=headers, checks=all_checks())


def _fuzzed(examples: int) -> Any:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@pytest.mark.parametrize("run", KEYED_RUNS[:1], indirect=True)
@schema.parametrize()
@_fuzzed(MAX_EXAMPLES)
def test_every_operation_keeps_the_contract(case: Any, caller: dict[str, str]) -> None:
    _keep_the_contract(case, caller)


@pytest.mark.parametrize("run", KEYED_RUNS[1:], indirect=True)
@schema.parametrize()
@_fuzzed(MAX_EXAMPLES_ON_POSTGRESQL)
def test_every_operation_keeps_the_contract_on_postgresql(
    case: Any, caller: dict[str, str]
) -> None:
    _keep_the_contract(case, caller)


@pytest.mark.parametrize("run", [NO_KEY_RUN], indirect=True)
@schema.parametrize()
@_fuzzed(MAX_EXAMPLES_WITHOUT_A_KEY)
def test_every_operation_keeps_the_contract_without_a_key(
    case: Any, caller: dict[str, str]
) -> None:
    _keep_the_contract(case, caller)


@ONE_RUN
def test_the_tables_name_only_real_operations(app: FastAPI) -> None:
    """The tables in web/openapi.py and above do not outlive the routes they describe."""
    paths = app.openapi()["paths"]
    for method, path in [*CONFLICTS, *HAND_READ_BODIES]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} is not an operation"
    for label in BEYOND_SCHEMA:
        method, path = label.split(" ", 1)
        assert method.lower() in paths.get(path, {}), f"{label} is not an operation"


@ONE_RUN
def test_every_error_is_a_problem(app: FastAPI) -> None:
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if status[0] in "45":
                    content = answer.get("content", {})
                    assert list(content) == ["application/json"], (method, path, status)
                    reference = content["application/json"]["schema"]["$ref"]
                    assert reference.endswith("/Problem"), (method, path, status)
            assert "503" in operation["responses"], (method, path)


# Values of the wrong JSON type that lax parsing would turn into the documented type.
COERCIBLE = {"date": 0, "date-time": 0, "integer": False, "number": False, "boolean": 0}


def _coercion_probes(document: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(method, path, field, wrong value) for each typed top-level field of each JSON body."""
    schemas = document["components"]["schemas"]
    probes = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            reference = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            model = schemas.get(reference.rsplit("/", 1)[-1], {})
            for field, schema in model.get("properties", {}).items():
                for option in schema.get("anyOf", [schema]):
                    kind = option.get("format") or option.get("type")
                    if kind in COERCIBLE:
                        probes.append((method, path, field, COERCIBLE[kind]))
    return probes


@pytest.mark.parametrize("run", [("sqlite", "api_key")], indirect=True)
def test_no_type_is_coerced(
    app: FastAPI, caller: dict[str, str], real_rows: dict[str, int]
) -> None:
    """Strict types, deterministically: a 0 is no date, `false` no number, 0 no boolean. Each
    wrong value must be refused naming its field, whatever else the body lacks."""
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    probes = _coercion_probes(app.openapi())
    assert probes
    accepted = []
    for method, path, field, value in probes:
        response = client.request(
            method, path.format(**real_rows), json={field: value}, headers=caller
        )
        body = response.json() if response.status_code == 422 else {}
        blamed = {str(problem["field"]) for problem in body.get("problems", [])}
        if body.get("problems") is None:  # the banner endpoints: "field: rule; field: rule"
            blamed = {part.split(":", 1)[0] for part in body.get("detail", "").split("; ")}
        if field not in blamed:
            accepted.append(f"{method.upper()} {path} {field}={value!r}: {response.status_code}")
    assert not accepted, "coerced instead of refused:\n" + "\n".join(accepted)
