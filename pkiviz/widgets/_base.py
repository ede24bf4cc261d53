"""What every pkiviz widget shares: ``.widget``, displaying as it, and errors made visible."""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import io
from collections.abc import Callable, Iterator
from typing import Any

from pkiviz.draw.chaingraph import ChainGraph

#: How matplotlib writes the graph: text as SVG text (the browser sets it, three times faster
#: than rasterising it to PNG, and sharp at any zoom), stable element ids, no date.
_SVG_RC: dict[str, Any] = {"svg.fonttype": "none", "svg.hashsalt": "pkiviz"}


class BookWidget:
    """Base of the book's widgets.

    Attributes:
        widget: the ipywidgets container; make it a cell's last expression.
        error: the exception the last update raised, ``None`` if it worked.
    """

    widget: Any
    error: BaseException | None = None
    _holding: bool = False

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as :attr:`widget` (no ``display()`` call: IPython asks for this bundle)."""
        return self.widget._repr_mimebundle_(**kwargs)

    @contextlib.contextmanager
    def _hold(self) -> Iterator[None]:
        """Change several controls without an update after each one."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def _observe(self, controls: tuple[Any, ...], update: Callable[[], None]) -> None:
        def changed(change: dict[str, Any]) -> None:
            if not self._holding:
                self._guarded(update)

        for control in controls:
            control.observe(changed, names="value")

    def _guarded(self, update: Callable[[], None]) -> None:
        """Run an update; if it raises, say so in the widget before re-raising.

        An exception in an observer otherwise reaches only the kernel's log.
        """
        try:
            update()
        except Exception as exc:
            self.error = exc
            self._show_error(
                f"<p><b>✗ pkiviz could not evaluate this:</b> "
                f"<code>{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</code></p>"
            )
            raise
        self.error = None

    def _show_error(self, message: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


@functools.lru_cache(maxsize=64)
def graph_html(graph: ChainGraph) -> str:
    """The chain graph as an ``<img>`` (SVG, inline) with the graph's alt text.

    The same graph always gives the same picture, so drawings are cached by
    graph: moving the clock within a validity window redraws nothing.

    Args:
        graph: the chain graph of a validation.

    Returns:
        HTML for an ``HTML`` widget's value.
    """
    import matplotlib

    from pkiviz.draw.chain import chain_alt_text, draw_chain

    figure = draw_chain(graph)
    buffer = io.BytesIO()
    with matplotlib.rc_context(_SVG_RC):  # type: ignore[arg-type]
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt = html.escape(chain_alt_text(graph), quote=True)
    return (
        f'<img class="pkiviz-chain-graph" src="data:image/svg+xml;base64,{data}" alt="{alt}" '
        'style="max-width:100%;height:auto">'
    )
