"""The ipywidgets HTML manager, fetched from the npm registry once and served from the site.

``@jupyter-widgets/html-manager``'s standalone ``dist/embed.js`` renders saved widget state
(``metadata.widgets`` of a notebook) in a static page. nbconvert's templates load it from a
CDN; the site instead takes it from the npm registry with ``npm pack`` into a cache directory
at build time and copies it (with the Font Awesome files it loads) next to the pages.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pkiviz.errors import PkivizError

HTML_MANAGER = "@jupyter-widgets/html-manager"
HTML_MANAGER_VERSION = "1.0.15"  # ipywidgets 8: @jupyter-widgets/controls 2.0.0 models
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
BUILTIN_MODULES = frozenset(
    {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}
)
_SHIPPED = (".js", ".txt", ".woff2", ".woff", ".ttf", ".eot", ".svg")


class SiteError(PkivizError):
    """The site could not be built (a tool is missing, a download failed, a bad output dir)."""


def fetch_html_manager(
    cache: Path, *, version: str = HTML_MANAGER_VERSION, npm: str = "npm"
) -> Path:
    """The html-manager's ``dist`` directory, packed from the npm registry on first use.

    Args:
        cache: Directory holding unpacked packages between builds (created if missing).
        version: The exact package version.
        npm: The npm executable.

    Returns:
        The cached ``dist`` directory, holding ``embed.js``.

    Raises:
        SiteError: npm is missing or ``npm pack`` failed.
    """
    home = cache / f"html-manager-{version}"
    dist = home / "package" / "dist"
    if (dist / "embed.js").is_file():
        return dist
    if shutil.which(npm) is None:
        raise SiteError(f"{npm!r} not found: it fetches {HTML_MANAGER} for the widget pages")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".pack-") as tmp:
        spec = f"{HTML_MANAGER}@{version}"
        done = subprocess.run(
            [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or len(tarballs) != 1:
            raise SiteError(f"npm pack {spec} failed: {done.stderr.strip() or done.stdout}")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(unpacked, filter="data")
        if not (unpacked / "package" / "dist" / "embed.js").is_file():
            raise SiteError(f"{spec} has no dist/embed.js")
        if home.exists():  # a half-finished earlier attempt
            shutil.rmtree(home)
        unpacked.rename(home)
    return dist


def install_html_manager(dist: Path, dest: Path) -> Path:
    """Copy ``embed.js``, its licence and its font files from ``dist`` into ``dest``.

    Returns:
        The copied ``embed.js``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(dist.iterdir()):
        if path.suffix in _SHIPPED and not path.name.endswith("-amd.js"):
            shutil.copy2(path, dest / path.name)
    return dest / "embed.js"


def saved_models(metadata: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The widget models a notebook saved with its outputs, by model id (empty if none)."""
    state = (metadata.get("widgets") or {}).get(WIDGET_STATE) or {}
    models = state.get("state") or {}
    return dict(models) if isinstance(models, Mapping) else {}


def foreign_modules(models: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Widget modules the bundled manager cannot render (anything but base/controls/output)."""
    return {str(m.get("model_module")) for m in models.values()} - BUILTIN_MODULES
