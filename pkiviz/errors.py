"""pkiviz's own exception types.

Programmer misuse (a wrong argument type, an impossible option) raises
``TypeError`` / ``ValueError`` as the standard library and pyca/cryptography
do. Bad *input* - a file, bytes, hostname or URL that a user handed in - raises
:class:`InputError`, whose message names what is wrong in one line, so the
command line can print it and exit 2 without a traceback.
"""

from __future__ import annotations


class PkivizError(Exception):
    """Base class of every error pkiviz raises on purpose."""


class InputError(PkivizError, ValueError):
    """Input given by a user (file, bytes, name, URL, time) is unusable.

    The message is one line and names the input and the problem, e.g.
    ``"server.pem: no certificate found (it holds a PRIVATE KEY)"``.
    """
