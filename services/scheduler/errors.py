"""Errors of the scheduler's domain core: plain exceptions, no HTTP, no web framework.

    SchedulerDomainError (ValueError)   field, code (stable snake_case), message (Chinese)
    ├── ScheduleInvalid                 a cron expression, time zone, window or reminder that cannot be used
    ├── ParametersInvalid               rule, scoring or escalation parameters that contradict themselves
    └── TransitionNotAllowed            a problem-list action the transition table does not allow

The service layer maps `ScheduleInvalid` and `ParametersInvalid` to a 422 `Invalid` naming `field`,
and `TransitionNotAllowed` to a 409 `Conflict`, keeping `code` and `message`. `FieldError` is the
same triple as `shared.errors.FieldError`; it is declared here so that the domain core does not
import the web layer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "code": self.code}


class SchedulerDomainError(ValueError):
    def __init__(self, field: str, code: str, message: str) -> None:
        self.field = field
        self.code = code
        self.message = message
        super().__init__(f"{code} ({field}): {message}")

    def as_field_error(self) -> FieldError:
        return FieldError(field=self.field, code=self.code, message=self.message)


class ScheduleInvalid(SchedulerDomainError):
    pass


class ParametersInvalid(SchedulerDomainError):
    pass


class TransitionNotAllowed(SchedulerDomainError):
    pass
