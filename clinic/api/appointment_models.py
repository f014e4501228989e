"""The request and answer models of availability and appointments (clinic.api.schema): they check
the booking, reschedule and query inputs and describe the answers in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Field, create_model

from clinic.api.schema import ABSENT, NOT_BLANK, Answer, Day, Id, Input, Instant, OneOf, QueryArgs, QueryId, QueryInt
from clinic.reminders.models import ReminderStatus
from clinic.scheduling.models import REGIONS, SIDES, AppointmentStatus
from clinic.scheduling.services import BOOLEAN_ANSWERS, NUMBER_ANSWERS
from clinic.screening.results import REFUSAL_CODES, WARNING_CODES

Channel = Annotated[str, OneOf(("email", "sms"))]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=NOT_BLANK)]

# ---------------------------------------------------------------- inputs


class ScreeningAnswers(Input):
    model_config = ConfigDict(extra="forbid")


# The screening questions the booking service knows, with their types and ranges.
_QUESTIONS: dict[str, Any] = {
    **{name: (bool, ABSENT) for name in BOOLEAN_ANSWERS},
    **{name: (float, Field(ABSENT, ge=low, le=high)) for name, (low, high) in NUMBER_ANSWERS.items()},
}
Screening = create_model("Screening", __base__=ScreeningAnswers, **_QUESTIONS)


class Override(Input):
    reason: str = Field(min_length=1, max_length=1000, pattern=NOT_BLANK)


class BookingInput(Input):
    patient_id: Id
    location: Code
    procedure: Code
    start: Instant
    physician_id: Id | None = None
    region: Annotated[str, OneOf(REGIONS)] | None = None
    side: Annotated[str, OneOf(SIDES)] | None = None
    levels: Annotated[list[Annotated[str, Field(max_length=10, pattern=r"^[CTLS][0-9]{1,2}(-[CTLS][0-9]{1,2})?$")]],
                      Field(max_length=6)] | None = None
    sedation: bool | None = None
    screening: Screening | None = None  # type: ignore[valid-type]
    override: Override | None = Field(None, description="a physician's reason to book despite a screening refusal")


class RescheduleInput(Input):
    start: Instant
    physician_id: Id | None = None


class CancelInput(Input):
    reason: str = Field(min_length=1, max_length=500, pattern=NOT_BLANK)


class AvailabilityQuery(QueryArgs):
    # An empty group is a grouping the route does not know, not an absent one.
    EMPTY_IS_A_VALUE: ClassVar[tuple[str, ...]] = ("group",)

    location: str = Field(min_length=1)
    procedure: str = Field(min_length=1)
    date: Day = Field(description="First local date")
    days: QueryInt = Field(1, ge=1, le=120)
    physician: QueryId | None = None
    group: Annotated[str, OneOf(("start",))] | None = Field(
        None, description="start: one entry per start with its free physicians and room ids (a compact answer)")


class DayQuery(QueryArgs):
    location: str = Field(min_length=1)
    date: Day
    physician: QueryId | None = None


# ---------------------------------------------------------------- answers


class Slot(Answer):
    start: dt.datetime
    end: dt.datetime
    physician_id: int
    room: str
    room_id: int = ABSENT


class Slots(Answer):
    """Slots by start."""

    slots: list[Slot]


class FreeStart(Answer):
    start: dt.datetime
    end: dt.datetime
    physicians: list[int]
    rooms: list[int]


class FreeStarts(Answer):
    starts: list[FreeStart]
    room_names: dict[str, str]


class Warning(Answer):
    """medication_unrecognised: details.drug (as written) and details.closest (known names);
    hold_not_achievable: details.drug, details.hold, details.stop_on and details.earliest_date (local
    YYYY-MM-DD, the earliest date with the hold kept); medication_caution: a substance that raises
    bleeding modestly (continued); a refusal overridden by a physician is kept as a warning."""

    code: Annotated[str, OneOf((*WARNING_CODES, *REFUSAL_CODES))]
    message: str
    message_fr: str = ABSENT
    source: str
    unconfirmed: bool = ABSENT
    details: dict[str, Any] = ABSENT


class MedicationHold(Answer):
    drug: str
    stop_on: str | None
    restart_after: str | None
    note: str
    action: Annotated[str, OneOf(("stop", "continue", "shared_decision"))] = ABSENT
    drug_fr: str = ABSENT
    as_written: str = Field(ABSENT, description="the medicine as the record names it")


class PreparationItem(Answer):
    code: str
    text: str


class Reminder(Answer):
    id: int
    kind: str
    channel: Channel
    send_at: dt.datetime
    status: Annotated[str, OneOf(tuple(s.value for s in ReminderStatus))]
    sent_at: dt.datetime | None
    attempts: int = Field(ge=0)


class Reminders(Answer):
    reminders: list[Reminder]


class AppointmentReminder(Answer):
    kind: str
    channel: Channel
    send_at: dt.datetime
    status: str


class Appointment(Answer):
    """The appointment."""

    id: int
    patient_id: int
    status: Annotated[str, OneOf(tuple(s.value for s in AppointmentStatus))]
    start: dt.datetime
    end: dt.datetime
    location: str
    procedure: str
    physician_id: int
    room: str
    room_id: int = ABSENT
    region: str | None
    side: str | None
    levels: list[str]
    sedation: bool
    needs_reschedule: bool
    warnings: list[Warning]
    medication_holds: list[MedicationHold]
    preparation: list[PreparationItem]
    reminders: list[AppointmentReminder]
    screening: dict[str, Any] = ABSENT
    override_reason: str | None = ABSENT
    cancel_reason: str | None = ABSENT
    ical_sequence: int = ABSENT


class Appointments(Answer):
    appointments: list[Appointment]
