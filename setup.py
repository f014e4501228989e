"""Build hooks that pyproject.toml cannot state: the folders beside the package, and the catalogs.

`templates/`, `static/` and `migrations/` sit beside `clinic/` in the repository; the wheel carries
them inside the package (clinic/templates, clinic/static, clinic/migrations), where create_app looks
first. The French catalog (clinic/translations, the one `make translations` keeps) is compiled to
.mo while the package is built, so a wheel never ships without its translations.
"""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BESIDE = {"clinic.templates": "templates", "clinic.static": "static", "clinic.migrations": "migrations"}


class BuildWithCatalogs(build_py):
    """build_py, then compile the catalog (clinic/translations/*/LC_MESSAGES/*.po) into the build tree."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted((HERE / "clinic" / "translations").glob("*/LC_MESSAGES/*.po")):
            target = Path(self.build_lib) / po.relative_to(HERE).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source)
            with target.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=True)  # as `make translations` (pybabel -f)


setup(
    packages=find_packages(include=["clinic", "clinic.*"]) + list(BESIDE),
    package_dir={"": ".", **BESIDE},
    package_data={
        "clinic": ["translations/**/*.po", "catalog/data/**/*", "accounts/data/*"],
        "clinic.templates": ["**/*"],
        "clinic.static": ["**/*"],
        "clinic.migrations": ["**/*"],
    },
    exclude_package_data={"": ["**/__pycache__/*", "*.pyc"]},
    cmdclass={"build_py": BuildWithCatalogs},
)
