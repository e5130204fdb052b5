"""What goes into and comes out of consent, sharing and promises (request bodies are strict:
unknown keys are refused, enumerations are checked, and no error quotes what was typed)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from dignity.consent.schemas import field_errors
from dignity.exc import InvalidInput

Scope = Literal[
    "documentation",
    "share.un-mechanism",
    "share.prosecutor",
    "share.sanctions-authority",
    "share.support-service",
    "share.ngo",
    "publication",
    "identity",
]
RecipientKind = Literal[
    "un-mechanism", "prosecutor", "sanctions-authority", "support-service", "ngo", "public"
]
Giver = Literal["person", "guardian", "representative"]
Method = Literal["written", "oral", "recorded"]
Through = Literal["direct", "interviewer", "interpreter"]
NotifiedHow = Literal["email", "letter", "phone", "meeting", "other"]
PromiseKind = Literal[
    "referral.medical", "referral.psychosocial", "referral.legal", "follow-up", "copy", "other"
]
PromiseStatus = Literal["open", "done", "cancelled"]
# ISO 639-1 or -3, optionally with a region or script (BCP 47): ar, ku, ckb, fa-AF, sr-Latn.
Language = Annotated[
    str, StringConstraints(max_length=35, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5_000)]
Purpose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def __repr_args__(self) -> Any:  # names, conditions and notes never reach a log
        return ()


class ConsentCreate(_Body):
    """A consent as agreed: what it covers, who gave it, when, how, in which language."""

    information_id: Annotated[str, Field(max_length=64)] | None = None
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=20)]
    given_by: Giver = "person"
    # Required when a guardian or representative gave it (sealed: it can identify).
    representative: Name | None = None
    given_on: date
    method: Method
    through: Through = "direct"
    language: Language
    provisional: bool = False
    conditions: Note | None = None  # sealed
    expires_on: date | None = None

    @model_validator(mode="after")
    def _named_representative(self) -> ConsentCreate:
        if self.given_by != "person" and not self.representative:
            raise ValueError("name the guardian or representative")
        return self


class WithdrawalCreate(_Body):
    """Consent taken back: all of it (`scopes` null) or the scopes named."""

    scopes: Annotated[list[Scope], Field(min_length=1, max_length=20)] | None = None
    given_on: date
    method: Method
    through: Through = "direct"
    note: Note | None = None  # sealed


class ConsentRead(BaseModel):
    id: str
    person_id: str
    information_id: str | None
    supersedes_id: str | None
    current: bool
    action: str
    scopes: list[str]
    withdrawn: list[str]
    given_by: str
    representative: str | None
    given_on: date
    method: str
    through: str
    language: str
    provisional: bool
    notes: str | None
    expires_on: date | None
    recorded_by: str
    recorded_at: datetime

    def __repr_args__(self) -> Any:
        return [("id", self.id), ("action", self.action)]


class ShareCreate(_Body):
    """A share: of these persons, or of an event's victims and sources, to one recipient."""

    person_ids: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=500)] = []
    event_id: Annotated[str, Field(max_length=64)] | None = None
    recipient_kind: RecipientKind
    recipient_name: Name
    purpose: Purpose
    includes_identity: bool = False


class ShareRead(BaseModel):
    id: str
    recipient_kind: str
    recipient_name: str
    purpose: str
    includes_identity: bool
    event_id: str | None
    sha256: str
    shared_by: str
    shared_at: datetime
    person_ids: list[str]
    # After a withdrawal by one of its persons: whether the recipient is still to be told.
    to_notify: bool = False
    notified: list[NotificationRead] = []


class NotificationCreate(_Body):
    how: NotifiedHow
    notified_on: date
    notified_by: Name


class NotificationRead(BaseModel):
    id: str
    share_id: str
    how: str
    notified_on: date
    notified_by: str
    recorded_at: datetime


class PromiseCreate(_Body):
    kind: PromiseKind
    due_on: date
    responsible: Name
    notes: Note | None = None  # sealed


class PromiseUpdate(_Body):
    status: PromiseStatus
    notes: Note | None = None  # sealed; replaces the notes when given


class PromiseRead(BaseModel):
    id: str
    person_id: str
    kind: str
    due_on: date
    responsible: str
    status: str
    notes: str | None
    overdue: bool
    updated_by: str
    updated_at: datetime


ShareRead.model_rebuild()

B = TypeVar("B", bound=BaseModel)


def parse(model: type[B], raw: dict[str, Any], what: str) -> B:
    """`raw` checked into `model`; `InvalidInput` naming each bad field, never its value."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput(f"the {what} cannot be saved", field_errors(error)) from None
