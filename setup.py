# Metadata lives in pyproject.toml. This file declares the compiled modules (portals/_scan.pyx;
# portals/_walk.pyx, Cython against lxml's C API, so it builds with the lxml it will run with), and lets
# scrapyd-deploy build the project's egg (it runs `python setup.py bdist_egg`).
from setuptools import Extension, setup

try:
    import lxml
    from Cython.Build import cythonize
except ImportError:  # `setup.py bdist_egg` where Cython is not installed: an egg of the Python forms
    ext_modules = []
else:
    ext_modules = cythonize(
        [
            Extension("portals._scan", ["portals/_scan.pyx"]),
            Extension("portals._walk", ["portals/_walk.pyx"], include_dirs=lxml.get_include()),
        ],
        compiler_directives={"language_level": 3},
    )

setup(ext_modules=ext_modules)
