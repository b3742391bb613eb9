# Metadata lives in pyproject.toml. This file declares the compiled module (portals/_speedups.pyx:
# Cython against lxml's C API, so it builds with the lxml it will run with), and lets
# scrapyd-deploy build the project's egg (it runs `python setup.py bdist_egg`).
import lxml
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("portals._speedups", ["portals/_speedups.pyx"], include_dirs=lxml.get_include())],
        compiler_directives={"language_level": 3},
    )
)
