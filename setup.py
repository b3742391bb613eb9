# Metadata lives in pyproject.toml; this shim lets scrapyd-deploy build the project's egg
# (it runs `python setup.py bdist_egg`).
from setuptools import setup

setup()
