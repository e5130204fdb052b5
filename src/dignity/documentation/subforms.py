"""The sub-forms of an act (HURIDOCS ESF): what more is recorded for some kinds of act.

An act's `details` hold the sub-form of its kind, chosen by its act type: arrest and detention for
deprivation of liberty, killing, torture and ill-treatment, destruction of property. Other kinds
take none. Each field is optional; unknown fields and wrong values are refused, named as
`details.<field>`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dignity.documentation.fields import partial_date_problem
from dignity.exc import FieldError

Text = str


class _Subform(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _date(value: str | None) -> str | None:
    if value is not None:
        problem = partial_date_problem(value)
        if problem:
            raise ValueError(problem)
    return value


class Detention(_Subform):
    """Arrest and detention."""

    arrested_on: str | None = None
    released_on: str | None = None
    place_of_detention: str | None = Field(None, max_length=500)
    type_of_detention: str | None = Field(None, max_length=200)  # official, secret, unofficial ...
    legal_basis: str | None = Field(None, max_length=2000)
    charges: str | None = Field(None, max_length=2000)
    court: str | None = Field(None, max_length=500)
    incommunicado: bool | None = None
    access_to_counsel: bool | None = None
    family_informed: bool | None = None

    _dates = field_validator("arrested_on", "released_on")(_date)


class Killing(_Subform):
    cause_of_death: str | None = Field(None, max_length=2000)
    body_recovered: bool | None = None
    autopsy: bool | None = None
    death_certificate: bool | None = None
    burial: str | None = Field(None, max_length=500)


class Torture(_Subform):
    """Torture and other ill-treatment (the methods are the act's `methods`)."""

    in_custody: bool | None = None
    duration: str | None = Field(None, max_length=200)
    medical_examination: bool | None = None
    istanbul_protocol: bool | None = None  # documented after the Istanbul Protocol
    lasting_effects: str | None = Field(None, max_length=2000)


class PropertyLoss(_Subform):
    """Destruction, looting or seizure of property."""

    property_type: str | None = Field(None, max_length=200)
    owner: str | None = Field(None, max_length=200)  # individual, family, community, business
    estimated_loss: int | None = Field(None, ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")


# Act types (and everything under them) -> their sub-form.
SUBFORMS: dict[str, type[_Subform]] = {
    "act.deprivation-of-liberty": Detention,
    "act.killing": Killing,
    "act.attempted-killing": Killing,
    "act.ill-treatment": Torture,
    "act.property": PropertyLoss,
}


def subform_for(act_type: str) -> type[_Subform] | None:
    for prefix, subform in SUBFORMS.items():
        if act_type == prefix or act_type.startswith(prefix + "."):
            return subform
    return None


def details_problems(
    act_type: str | None, details: object
) -> tuple[dict[str, Any], list[FieldError]]:
    """The cleaned sub-form of an act of `act_type`, or the problems with it."""
    if details in (None, {}):
        return {}, []
    if not isinstance(details, dict):
        return {}, [FieldError("details", "an object of the act's sub-form fields")]
    subform = subform_for(act_type or "")
    if subform is None:
        return {}, [FieldError("details", f"an act of type {act_type!r} takes no sub-form")]
    try:
        cleaned = subform.model_validate(details)
    except ValidationError as error:
        return {}, [
            FieldError(
                "details." + ".".join(str(part) for part in problem["loc"]),
                problem["msg"].removeprefix("Value error, "),
            )
            for problem in error.errors()
        ]
    return cleaned.model_dump(exclude_none=True), []
