"""Content as data: templates, strings, catalogs. Shipped inside the package so `pip install .`
carries it; locate it through CONTENT_DIR rather than the working directory."""

from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent
