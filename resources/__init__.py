"""Shipped data, installed as the package ``app.resources`` (see setup.py); read via ``app.paths.package_data_dir``."""
