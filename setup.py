"""The one thing pyproject.toml cannot say: the top-level ``migrations/`` and ``resources/`` folders
ship inside the package as ``app.migrations`` and ``app.resources`` (wheel, editable install and,
via build.spec, the PyInstaller bundle), so the installed app never looks for files beside itself."""

from setuptools import find_namespace_packages, setup

MAPPED = {"app.migrations": "migrations", "app.resources": "resources"}

setup(
    packages=[*find_namespace_packages(include=["app", "app.*", "ingestion", "ingestion.*"],
                                       exclude=["*.__pycache__", "ingestion.build", "ingestion.build.*"]), *MAPPED],
    package_dir=MAPPED,
)
