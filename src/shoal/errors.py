"""The exceptions Shoal raises for problems a user can fix."""

from __future__ import annotations


class ShoalError(Exception):
    """Base class of every error Shoal raises on purpose."""


class InputError(ShoalError, ValueError):
    """Bad input: names where it is (file, record) and what is wrong.

    ``str(error)`` reads as one line, for example
    ``results.json: record 17: bbox has a negative width (-3.0)``.
    """

    def __init__(self, message: str, *, source: str | None = None, record: int | str | None = None):
        self.message = message
        self.source = source
        self.record = record
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.source is not None:
            parts.append(str(self.source))
        if self.record is not None:
            parts.append(f"record {self.record}")
        parts.append(self.message)
        return ": ".join(parts)

    def located(self, source: str) -> InputError:
        """The same error, naming ``source`` as the file it came from."""
        return InputError(self.message, source=source, record=self.record)


class NotFoundError(InputError):
    """A named thing (project, dataset, inference set, segment, issue, frame) that does
    not exist."""


class ConflictError(InputError):
    """The request clashes with the store's state: a name in use (pass ``replace``), or a
    change that another writer made first."""
