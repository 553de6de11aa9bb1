"""Shipped data, installed as the package ``app.migrations`` (see setup.py); read via ``app.paths.package_data_dir``."""
