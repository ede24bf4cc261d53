"""pkiviz: real certificates, chains and TLS handshakes, explained.

The core (certificates, validation, handshakes) imports only the standard
library and cryptography; drawing (matplotlib, networkx) and widgets
(ipywidgets) live in :mod:`pkiviz.draw` and :mod:`pkiviz.widgets` and are
imported only when used.
"""

from __future__ import annotations

from pkiviz.clock import BOOK_CLOCK
from pkiviz.errors import InputError, PkivizError
from pkiviz.example import HOSTNAME, RunningExample, running_example
from pkiviz.factory import CA, Blob, Issued, build
from pkiviz.spec import CertSpec, CustomExtension

__version__ = "0.1.0"

__all__ = [
    "BOOK_CLOCK",
    "CA",
    "HOSTNAME",
    "Blob",
    "CertSpec",
    "CustomExtension",
    "InputError",
    "Issued",
    "PkivizError",
    "RunningExample",
    "__version__",
    "build",
    "running_example",
]
