"""Subcommands of ``wfh-agent``: one module each, registered in ``app.cli.COMMAND_MODULES``."""
