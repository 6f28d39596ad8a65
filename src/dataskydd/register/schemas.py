"""Input and output shapes of the register services; validation with the field's libraries."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from dataskydd.register import identifiers
from dataskydd.register.enums import RoleKind, SubjectKind
from dataskydd.validation import InputModel, MultiLine, SchemaPattern

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Personnummer = Annotated[str, AfterValidator(identifiers.normalise_personnummer)]
Organisationsnummer = Annotated[str, AfterValidator(identifiers.normalise_organisationsnummer)]
Email = Annotated[str, AfterValidator(identifiers.normalise_email)]
Phone = Annotated[str, AfterValidator(identifiers.normalise_phone)]
PostalCode = Annotated[
    str,
    AfterValidator(identifiers.normalise_postal_code),
    SchemaPattern(
        identifiers.POSTAL_CODE_PATTERN,
        "A Swedish postal code (also for an address abroad): five digits, the first not 0,"
        " e.g. 111 22; spaces, hyphens and an SE prefix are allowed.",
    ),
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500), MultiLine()
]


class _Input(InputModel):
    """Unknown fields refused; no control characters, and none but line breaks in Reason."""


class AddressIn(_Input):
    care_of: Name | None = None
    street: Annotated[str, StringConstraints(min_length=2, max_length=200)]
    postal_code: PostalCode
    city: Name
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "SE"


# _names_fit_kind as JSON Schema: a person (`kind` "person", or left out) or an organisation.
_KIND_RULES: dict[str, Any] = {
    "oneOf": [
        {
            "title": "A person",
            "properties": {
                "kind": {"const": SubjectKind.PERSON.value},
                "given_name": {"type": "string"},
                "family_name": {"type": "string"},
                "organisation_name": {"type": "null"},
            },
            "required": ["given_name", "family_name"],
        },
        {
            "title": "An organisation",
            "properties": {
                "kind": {"const": SubjectKind.ORGANISATION.value},
                "organisation_name": {"type": "string"},
                "personnummer": {"type": "null"},
            },
            "required": ["kind", "organisation_name"],
        },
    ]
}


class SubjectCreate(_Input):
    """A person (`kind` "person", the default) needs given_name and family_name and has no
    organisation_name; an organisation needs organisation_name and has no personnummer."""

    model_config = ConfigDict(json_schema_extra=_KIND_RULES)

    kind: SubjectKind = SubjectKind.PERSON
    given_name: Name | None = None
    family_name: Name | None = None
    organisation_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    personnummer: Personnummer | None = None
    organisationsnummer: Organisationsnummer | None = None
    emails: list[Email] = Field(default_factory=list, max_length=10)
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=5)
    roles: list[RoleKind] = Field(default_factory=lambda: [RoleKind.CUSTOMER], min_length=1)

    @model_validator(mode="after")
    def _names_fit_kind(self) -> Self:
        if self.kind is SubjectKind.PERSON:
            if not (self.given_name and self.family_name):
                raise ValueError("a person needs given_name and family_name")
            if self.organisation_name:
                raise ValueError("organisation_name is only for organisations")
        else:
            if not self.organisation_name:
                raise ValueError("an organisation needs organisation_name")
            if self.personnummer:
                raise ValueError("personnummer is only for persons")
        return self


class SubjectUpdate(_Input):
    """A rectification: only the fields given change, each change kept with the reason."""

    given_name: Name | None = None
    family_name: Name | None = None
    organisation_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    personnummer: Personnummer | None = None
    organisationsnummer: Organisationsnummer | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: AddressIn | None = None
    reason: Reason

    def changed_fields(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True, exclude={"reason"})


class SubjectMatch(BaseModel):
    """A search hit: only the fields the caller's purposes may show of this subject."""

    id: int
    kind: SubjectKind
    name: str | None
    personnummer_masked: str | None
    organisationsnummer: str | None
    email: str | None
    city: str | None
