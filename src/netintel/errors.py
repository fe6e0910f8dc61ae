"""One exception tree for netintel.

Every message names what an analyst needs to fix the problem: the file, the record, the field,
the agency, and what to do.
"""

from __future__ import annotations

__all__ = [
    "NetintelError",
    "InputError",
    "MappingError",
    "SchemaError",
    "WorkspaceError",
    "ResolutionError",
    "ReleasabilityError",
    "CountryCodeError",
]


class NetintelError(Exception):
    """Base of every error netintel raises on purpose."""


class InputError(NetintelError):
    """A file cannot be read as a whole: wrong type, unreadable encoding, empty, missing columns.

    Row-level problems never raise: they go to the quarantine.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        record: str | None = None,
        field: str | None = None,
        agency: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file, self.record, self.field, self.agency, self.hint = file, record, field, agency, hint
        parts = []
        if file:
            parts.append(f"{file}")
        if record:
            parts.append(f"record {record}")
        if field:
            parts.append(f"field {field!r}")
        if agency:
            parts.append(f"from {agency}")
        where = ", ".join(parts)
        text = f"{where}: {message}" if where else message
        if hint:
            text += f" — {hint}"
        super().__init__(text)


class MappingError(InputError):
    """A mapping (file or inline) does not fit the table it describes."""


class SchemaError(NetintelError):
    """An entity or link kind, a grading or a handling code is unknown or invalid.

    ``errors`` collects every problem found, not only the first.
    """

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        self.errors = dict(errors or {})
        if self.errors:
            message += "\n" + "\n".join(f"  - {k}: {v}" for k, v in self.errors.items())
        super().__init__(message)


class WorkspaceError(NetintelError):
    """The workspace file cannot be opened or is not a netintel workspace."""


class ResolutionError(NetintelError):
    """Entity resolution cannot run or a decision does not fit the workspace."""


class ReleasabilityError(NetintelError):
    """An output for a recipient would contain something the recipient may not receive."""


class CountryCodeError(NetintelError, ValueError):
    """A country or recipient that is not an ISO 3166-1 alpha-2 code (``NLD``, ``../../X``, ``XX``)."""

    def __init__(self, message: str, *, value: object = None, what: str = "country") -> None:
        self.value, self.what = value, what
        super().__init__(message)
