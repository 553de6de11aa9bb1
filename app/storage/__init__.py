"""Local SQLite storage: connections, migrations, repositories, backups."""
