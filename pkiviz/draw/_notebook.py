"""Make a returned matplotlib ``Figure`` display itself in a notebook.

pkiviz's renderers build figures without pyplot (so nothing is shown twice),
but IPython only knows how to show a bare ``Figure`` once matplotlib's inline
formatters are registered, which ``import matplotlib.pyplot`` or
``%matplotlib inline`` would do. Each renderer calls :func:`enable_display`,
so ``draw_anatomy(cert)`` as a cell's last line shows the picture, in
JupyterLab and in the saved notebook, with no magic in the chapter.
"""

from __future__ import annotations

import sys


def enable_display() -> bool:
    """Register IPython's PNG formatter for matplotlib figures, if running under IPython.

    Returns:
        True if a running IPython shell now displays figures as PNG; False
        outside IPython (scripts, tests) or without matplotlib-inline.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None or ipython.get_ipython() is None:
        return False
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - ships with ipykernel
        return False
    set_matplotlib_formats("png")  # type: ignore[no-untyped-call]
    return True
