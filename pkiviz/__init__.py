"""pkiviz: real certificates, chains and TLS handshakes, explained.

The core (certificates, validation, handshakes) imports only the standard
library and cryptography; drawing (matplotlib, networkx) and widgets
(ipywidgets) live in :mod:`pkiviz.draw` and :mod:`pkiviz.widgets` and are
imported only when used.

Packages, in layer order (lowest first). A module imports from its own package and lower
layers only; ``pkiviz/__init__.py`` and ``__main__.py`` sit above them all (the public
names, the command). ``tests/test_layers.py`` reads this list and enforces it:

0. base: the top-level modules (errors, table, clock, _html, _display, _rows, and the one loopback
   server loop, _loopback and _serving)
1. x509: the X.509 core: build, load, parse, tamper with and show certificates
2. revocation, ct: CRLs and OCSP; Certificate Transparency
3. validation: path building and validation: a Report of Checks
4. tls: the TLS protocol as data, sans-IO: messages, key schedule, signatures
5. net: live connections, loopback servers and the programs pkiviz starts
6. crosscheck: pkiviz's verdicts beside cryptography's and OpenSSL's
7. draw: the chain graph and the drawings (matplotlib, networkx imported lazily)
8. lab: the Break-it lab: catalogue, breakages, scenario server, verdicts
9. ca: certificate authorities: hierarchies, validation levels, ACME, linting
10. widgets: ipywidgets over the core, holding no PKI logic
11. book, site, classroom: the book's tooling, its static site, the classroom hub
12. cli: the pkiviz command line
"""

from __future__ import annotations

from pkiviz.clock import BOOK_CLOCK
from pkiviz.errors import InputError, PkivizError
from pkiviz.x509.example import HOSTNAME, RunningExample, running_example
from pkiviz.x509.factory import CA, Blob, Issued, build
from pkiviz.x509.spec import CertSpec, CustomExtension

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
