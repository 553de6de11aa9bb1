"""Exception types of the app, in two kinds (like qutebrowser's ``KnownError`` / ``BugError``):

* ``WfhError`` and its subclasses are *known failures*: bad input, a full disk, a locked or damaged
  file, unusable settings. Their message is meant for the user; dialogs and the CLI show it as is.
* ``BugError`` is *not* a ``WfhError``: something the code did wrong (an SQL error such as "no such
  column"). Nothing catches it as an expected failure; it reaches the crash handler with its traceback.
"""


class WfhError(Exception):
    """Base of the known failures: the message is meant for the user."""


class BugError(Exception):
    """A programming error surfaced by a library (e.g. SQLite's "no such column"): report, never explain away."""


class ValidationError(WfhError):
    """Bad input to a DataService call; nothing was written."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(ValidationError):
    """An unknown week or task id."""


class StorageError(WfhError):
    """The local database cannot be used as it is."""


class SchemaTooNewError(StorageError):
    """The database was written by a newer version of the app; it is left untouched."""


class MigrationError(StorageError):
    """A migration failed; the database stays at its previous version."""


class DatabaseCorruptError(StorageError):
    """The database file is not a usable SQLite database."""


class DiskFullError(StorageError):
    """The disk holding the data dir is full; the write was rolled back."""


class DatabaseLockedError(StorageError):
    """Another program holds the database locked for longer than the busy timeout."""


class StorageIOError(StorageError):
    """The operating system refused to read or write the database file (I/O error, permissions, read-only)."""


class ConfigError(WfhError):
    """Settings that cannot be used as they are (a server URL that is not http(s), no API key, no DB URL)."""


class DataFolderError(WfhError):
    """The profile's folder is missing and cannot be created, or cannot be written."""


class OperationCancelled(WfhError):
    """The user cancelled a background operation; its transaction was rolled back, nothing was written."""
