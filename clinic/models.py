"""Imports every domain's models so that the metadata (and migrations) see the whole schema."""

from importlib import import_module


def import_all() -> None:
    from clinic import domain_modules

    for name in domain_modules("models.py"):
        import_module(name)


import_all()
