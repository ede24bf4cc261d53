"""The book as a static, offline HTML site: ``python -m pkiviz.site build OUTDIR``.

Each chapter in ``book/`` becomes a page with its saved outputs, previous/next links and
cross-references; ``index.html`` lists the chapters and ``glossary.html`` defines the terms.
Every script, stylesheet, image and font a page loads is a file under OUTDIR (see
:mod:`pkiviz.site.offline`). This package needs nbconvert (installed with JupyterLab) and, for
chapters saved with widget state, npm; ``import pkiviz`` never imports it.

Figures need alt text; :mod:`pkiviz.site.alt` says where the build finds it.

Layer 11 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls, net,
crosscheck, draw, lab, ca, widgets and site itself.
"""

from __future__ import annotations

from pkiviz.site.build import BuildReport, Chapter, Problem, build_site, find_chapters
from pkiviz.site.widgets import SiteError

__all__ = ["BuildReport", "Chapter", "Problem", "SiteError", "build_site", "find_chapters"]
