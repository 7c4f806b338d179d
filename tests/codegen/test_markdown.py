"""Docstring → Markdown: sections, examples, reST markup, math, fallback notes."""

from __future__ import annotations

import numpy as np
from tests.codegen.fixtures import MEAN_DOC

from snakebridge.codegen import markdown, model
from snakebridge.codegen.introspect.docstrings import parse


def test_numpydoc_sections_become_headings_and_lists() -> None:
    text = markdown.render_doc(MEAN_DOC, defaults={"axis": "None"})
    assert text.startswith("Compute the arithmetic mean along the specified axis.\n\n")
    assert "Uses `numpy.sum`." in text  # :func: role → inline code
    assert "## Parameters\n\n  * `a` (`array_like`) - Array containing numbers." in text
    assert "  * `axis` (`None or int`), default: `None` - Axis along" in text
    assert "## Returns\n\n  * `m` (`ndarray`) - The mean." in text
    assert "## Raises\n\n  * `TypeError` - When `a` is not numeric." in text
    assert "## Examples\n\n```python\n>>> a = np.array([[1, 2], [3, 4]])" in text
    assert "```math\n\\bar{x} = \\frac{1}{n}\\sum_i x_i\n```" in text


def test_defaults_come_from_the_signature_not_the_prose() -> None:
    doc = model.Doc(
        style="numpydoc",
        summary="S.",
        params=(model.DocParam("axis", "int", "The default is to ...", "to"),),
    )
    assert "default: `to`" not in markdown.render_doc(doc)
    assert "default: `0`" in markdown.render_doc(doc, defaults={"axis": "0"})


def test_fallback_and_other_signature_sources_are_noted() -> None:
    doc = model.Doc(raw="Do it.", style="plain")
    assert "did not reveal a signature" in markdown.render_doc(doc, signature_source="fallback")
    assert "first line of its docstring" in markdown.render_doc(doc, signature_source="docstring")
    assert "Signature" not in markdown.render_doc(doc, signature_source="inspect")


def test_plain_docstrings_keep_doctests_and_literal_blocks() -> None:
    raw = """Summary line.

    Example::

        x = 1

    >>> f(1)
    2

    .. note:: Be careful.
    .. versionadded:: 1.2
    """
    text = markdown.render_doc(model.Doc(raw=raw, style="plain"))
    assert text.startswith("Summary line.")
    assert "Example:\n\n```\nx = 1\n```" in text
    assert "```python\n>>> f(1)\n2\n```" in text
    assert "> **Note:** Be careful." in text
    assert "*New in version 1.2.*" in text


def test_fences_inside_examples_cannot_close_the_block() -> None:
    doc = model.Doc(style="numpydoc", summary="S.", examples=(">>> print('```')\n```",))
    text = markdown.render_doc(doc)
    assert "````python\n>>> print('```')\n```\n````" in text


def test_deprecation_is_shown_first() -> None:
    text = markdown.render_doc(model.Doc(summary="S.", style="google"), deprecated="Use g.")
    assert text.startswith("> **Deprecated:** Use g.")


def test_real_numpy_docstring_through_the_introspector_parser() -> None:
    doc = parse(np.linalg.solve.__doc__ or "")
    text = markdown.render_doc(doc)
    assert text.startswith("Solve a linear matrix equation")
    assert "## Parameters" in text and "## Returns" in text and "## Raises" in text
    assert "```python" in text
    assert ":math:" not in text and ":func:" not in text


def test_summary_is_one_line() -> None:
    assert markdown.summary(model.Doc(raw="\n  First line.\n  Second.", style="plain")) == (
        "First line."
    )
    assert len(markdown.summary(model.Doc(summary="x" * 500))) == 200


def test_rest_titles_become_headings() -> None:
    joined = model.Doc(style="numpydoc", summary="NumPy =====", description="Provides.")
    assert markdown.render_doc(joined).startswith("### NumPy\n\nProvides.")
    raw = model.Doc(raw="Title\n=====\n\nBody.", style="plain")
    assert markdown.render_doc(raw) == "### Title\n\nBody."


# numpy's own module docstring shape (numpy/__init__.py), abridged.
NUMPY_MODULE_DOC = """\
NumPy
=====

Provides
  1. An array object of arbitrary homogeneous items
  2. Fast mathematical operations over arrays

How to use the documentation
----------------------------
Documentation is available from
`the NumPy homepage <https://numpy.org>`_.

The docstring examples assume that `numpy` has been imported as ``np``::

  >>> import numpy as np

Available subpackages
---------------------
lib
    Basic functions used by several sub-packages.
distutils
    Enhancements to distutils with support for
    Fortran compilers support and more (for Python <= 3.11)

Utilities
---------
test
    Run numpy unittests
"""


def test_numpy_module_docstring_reads_as_markdown() -> None:
    doc = model.Doc(
        raw=NUMPY_MODULE_DOC,
        style="plain",
        summary="NumPy =====",
        description=NUMPY_MODULE_DOC.split("=====\n\n", 1)[1],
        examples=(">>> import numpy as np",),
    )
    text = markdown.render_doc(doc)
    assert text.startswith("### NumPy\n\nProvides\n  1. An array object")
    assert "=====" not in text and "-----" not in text
    assert "### How to use the documentation\n\n" in text
    assert "[the NumPy homepage](https://numpy.org)." in text
    assert "imported as `np`:\n\n```python\n>>> import numpy as np\n```" in text
    assert (
        "### Available subpackages\n\n"
        "  * `lib` - Basic functions used by several sub-packages.\n"
        "  * `distutils` - Enhancements to distutils with support for Fortran compilers "
        "support and more (for Python <= 3.11)\n\n### Utilities\n\n"
        "  * `test` - Run numpy unittests"
    ) in text
    # The parser lifted the `>>>` line into examples too; it is shown once.
    assert text.count(">>> import numpy as np") == 1
    assert "## Examples" not in text


def test_definition_lists_leave_paragraphs_and_lists_alone() -> None:
    text = markdown.free_text("A paragraph line\nthat continues.\n\nTerm\n  1. a list item\n")
    assert text == "A paragraph line\nthat continues.\n\nTerm\n  1. a list item"
    text = markdown.free_text("Notes:\n    indented after a colon\n")
    assert "* " not in text
    text = markdown.free_text("Intro.\n\n..  versionchanged:: 1.17.0\n    Usable as a decorator.")
    assert "* " not in text
    text = markdown.free_text("Intro.\n\n'fd'\n    .. math:: h = 2 \\frac{IQR}{n^{1/3}}\n")
    assert "* " not in text and "```math" in text
    text = markdown.free_text("Intro.\n\ntwo words\n    The meaning.")
    assert text == "Intro.\n\n  * **two words** - The meaning."
