"""Exception types of the app that carry a message a dialog or the CLI can show as is."""


class WfhError(Exception):
    """Base of the app's own errors: the message is meant for the user."""


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


class ConfigError(WfhError):
    """config.json could not be read; it was kept aside and defaults are used."""


class DataFolderError(WfhError):
    """The profile's folder is missing and cannot be created, or cannot be written."""
