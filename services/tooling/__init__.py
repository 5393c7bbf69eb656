"""Tooling on top of everything: the embedded engines, the process entry points and launcher,
demo data, and the one operator CLI. May import anything; nothing but entry points imports it."""
