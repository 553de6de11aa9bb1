"""The web dashboard: server-rendered pages (Jinja2, autoescaped), plain SVG charts, no JavaScript."""
