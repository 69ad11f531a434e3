"""The base every body shares, the error body, pages, and the field rules with the
contract's messages."""

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from libs import validation
from libs.errors import InvalidArgument
from libs.paging import MAX_PAGE_SIZE
from libs.timestamps import to_timestamp
from libs.validation import label

# The type of errors whose message is already the contract's text (see gateway.errors).
RULE_ERROR = "depot_rule"


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python; an unknown field is a 400, not silently dropped."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


def rule_error(message: str) -> PydanticCustomError:
    # Braces would be read as a template by pydantic; the rules' messages have none.
    return PydanticCustomError(RULE_ERROR, message)


def _not_empty(value: str, info: ValidationInfo) -> str:
    if not value.strip():
        raise rule_error(f"{label(info.field_name or '')} should not be empty")
    return value


def _rule(problem: Callable[[str], str | None]) -> AfterValidator:
    """A libs.validation check as a pydantic validator that keeps the check's message."""

    def check(value: str) -> str:
        if (message := problem(value)) is not None:
            raise rule_error(message)
        return value

    return AfterValidator(check)


def documented(**schema: Any) -> Any:
    """A rule shown in the OpenAPI document (so that clients, and the contract fuzzer, know it) but not
    enforced by pydantic: the validator that does enforce it words the contract's message, which
    pydantic's own constraint would answer first in its words."""
    return Field(json_schema_extra=schema)


NonEmpty = Annotated[str, AfterValidator(_not_empty), documented(minLength=1)]
Email = Annotated[str, _rule(validation.email_problem), documented(format="email")]
Username = Annotated[str, _rule(validation.username_problem),
                     documented(pattern=f"^[A-Za-z0-9_]{{{validation.USERNAME_MIN},{validation.USERNAME_MAX}}}$")]
NewPassword = Annotated[str, _rule(validation.password_problem),
                        documented(minLength=validation.PASSWORD_MIN, maxLength=validation.PASSWORD_MAX)]
# Field's own check words it as libs.validation.name_problem does, and shows the limit in the OpenAPI document.
Name = Annotated[str, Field(max_length=validation.NAME_MAX)]

# The proto fields behind the numbers are int32: a larger number would not even fit in the message (a 500
# before this bound); the bound also shows in the OpenAPI document.
INT32_MAX = 2**31 - 1
Int32 = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]
PageNumber = Annotated[int, Query(ge=1, le=INT32_MAX)]
PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_8601(value: object) -> object:
    """pydantic would also take a number, or a string of one ("0.5"), as Unix seconds: a typo in a date
    would become 1970. The contract's dates are ISO 8601 strings, as the OpenAPI document says."""
    if isinstance(value, datetime) or (isinstance(value, str) and ISO_DATE.match(value)):
        return value
    raise PydanticCustomError("datetime_parsing", "not an ISO 8601 date")


def _has_utc_form(moment: datetime) -> datetime:
    """A moment at an end of the calendar with an offset (0001-01-01T00:00:00+01:00) falls outside it in
    UTC, where a proto Timestamp counts: refused here rather than failing that conversion with a 500."""
    if moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError("datetime_out_of_range", "no UTC form") from None
    return moment


Moment = Annotated[datetime, BeforeValidator(_iso_8601), AfterValidator(_has_utc_form)]


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer has this shape (DESIGN.md §3 Errors)."""

    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel)

    status_code: int
    error: str
    message: list[str] | str
    details: list[ErrorDetail] = []
    request_id: str | None = None


class Message(ApiModel):
    message: str


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    data: list[T]
    total: int
    page: int
    limit: int
    total_pages: int

    @classmethod
    def of(cls, data: list[Any], page_info: Any) -> "Page[T]":
        """From a depot.common.v1.PageInfo."""
        return cls(data=data, total=page_info.total_size, page=page_info.page, limit=page_info.page_size,
                   total_pages=page_info.total_pages)


def as_utc(moment: datetime | None) -> datetime | None:
    """A date without an offset is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def period(start: datetime | None, end: datetime | None) -> tuple[Timestamp | None, Timestamp | None]:
    """The startDate/endDate query parameters of a listing as proto Timestamps; a start after the end is a 400."""
    start, end = as_utc(start), as_utc(end)
    if start and end and start > end:
        raise InvalidArgument.field("startDate", "Start date must not be after end date")
    return to_timestamp(start), to_timestamp(end)


def error_responses(*codes: int | str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` documenting the error body for these status codes ("4XX" for all of them,
    which also keeps FastAPI from documenting its 422: validation failures are 400 here)."""
    return {code: {"model": ErrorBody} for code in codes}
