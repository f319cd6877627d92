"""Sphinx configuration of the sklstm documentation.

Build (from the repository root)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Add ``-D plot_gallery=0`` to skip running the examples (the CI build does;
``tests/test_examples.py`` runs them).
"""

import os
import re
import sys

# The gallery runs the examples in this process. They train small networks,
# for which one thread is enough; this keeps a build on a shared CI machine
# predictable. It must be set before torch is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# matplotlib must not try to open windows while the gallery runs
os.environ.setdefault("MPLBACKEND", "Agg")

# Build against the checkout, even when sklstm is not installed.
sys.path.insert(0, os.path.abspath(".."))

import sklstm  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "sklstm"
author = "The sklstm developers"
copyright = "The sklstm developers, BSD 3-Clause License"
version = sklstm.__version__
release = sklstm.__version__

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
# `single backquotes` render as code, as in scikit-learn's documentation
# (the docstrings use them for fitted attributes inside shapes)
default_role = "literal"

# -- MyST (Markdown pages) -----------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
# anchors for ``[text](page.md#a-heading)`` links down to level-3 headings
myst_heading_anchors = 3

# -- API reference: autosummary + numpydoc ---------------------------------------

autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
# the class template lists the members itself, so numpydoc must not add a
# second table of them
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# The class pages list the methods inherited from scikit-learn's mixins
# (``score``, ``get_params``, ...), whose docstrings link to pages of
# scikit-learn's own documentation with :ref: and :term:. Those targets do
# not exist here: keep the link text and drop the link. The metadata-routing
# methods (``set_score_request``, ...) and ``set_output``, which the sklstm
# transformers do not offer, are left out in ``_templates/class.rst``.
_SKLEARN_LINK = re.compile(r":(?:ref|term):`([^`<]+?)\s*<[^`>]+>`")
_SKLEARN_BARE_LINK = re.compile(r":(?:ref|term):`([^`]+)`")


def _unlink_sklearn_references(app, what, name, obj, options, lines):
    """Turn :ref:/:term: links of inherited scikit-learn docstrings into text."""
    if not (getattr(obj, "__module__", None) or "").startswith("sklearn."):
        return
    text = "\n".join(lines)
    text = _SKLEARN_LINK.sub(r"\1", text)
    text = _SKLEARN_BARE_LINK.sub(r"\1", text)
    lines[:] = text.split("\n")


# -- Example gallery ---------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # every script in examples/ is run when the gallery is built (the default
    # runs only files named plot_*); ``-D plot_gallery=0`` runs none
    "filename_pattern": r"\.py$",
    "ignore_pattern": r"__init__\.py",
    # "Examples using sklstm.X" lists on the API pages
    "doc_module": ("sklstm",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "reference_url": {"sklstm": None},
    "remove_config_comments": True,
    "min_reported_time": 1,
}

# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklstm {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_sidebars = {"**": ["sidebar-nav-bs"]}


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_sklearn_references)
