"""House rules that hold across every module of ``pkiviz/``, checked by reading the source.

Each module is parsed with :mod:`ast` (nothing is imported), and four rules are checked:

1. **Public names only.** pkiviz uses no private name (``_x``) of cryptography, pyOpenSSL or the
   standard library: no ``from ssl import _x``, no ``cryptography.x509.name._ASN1Type``, no
   ``oid._name``. An attribute's owner is hard to know without running the code, so beside the
   names reached from an imported module, the private attributes of those libraries pkiviz is
   known to have reached for are refused on any object but ``self``/``cls``. The one fenced
   exception is CPython's ``SSLContext._msg_callback``, in :mod:`pkiviz.net._msgcallback` alone.
   Within pkiviz the same rule holds across module boundaries: a private name (``_x``) defined in
   one module is not imported or read by another. A private *module* (``pkiviz/_html.py``) may be
   imported within pkiviz: the underscore says it is not part of the public API.
2. **No import cycle.** The graph of module-level imports among pkiviz's modules has no cycle
   (imports inside a function, or under ``if TYPE_CHECKING:``, run later or never and do not count).
3. **A core without I/O.** The pure core (PURE) imports no I/O module and no network module
   (NETWORK), directly or through other modules, even inside a function.
4. **Layers.** No module-level import goes from a lower layer into a higher one. The layer order
   is written once, in ``pkiviz/__init__.py``'s docstring, and read from there; each package's
   docstring names its layer.

Every rule has a planted breach fed to the same checker, beside a clean control.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pkiviz"

#: Third-party packages whose private names pkiviz must not use; the standard library is added.
LIBRARIES = frozenset({"cryptography", "OpenSSL"})

#: Private attributes of those libraries pkiviz has reached for (or might): refused on any base
#: but ``self``/``cls``, since the owner of ``x._name`` is not known without running the code.
KNOWN_PRIVATE_ATTRIBUTES = frozenset(
    {"_name", "_type", "_msg_callback", "_sslobj", "_sslcontext", "_backend", "_lib", "_ffi"}
)

#: The fenced exceptions: (module, private name) pairs allowed, each with its reason.
ALLOWED: Mapping[tuple[str, str], str] = {
    ("pkiviz.net._msgcallback", "_msg_callback"): (
        "CPython's SSLContext._msg_callback is the only way to see TLS 1.3 handshake records "
        "from the ssl module; this one module holds it"
    ),
}


def is_private(name: str) -> bool:
    """``_x``, but not a dunder (``__version__``) nor a sunder protocol name (IPython's
    ``_repr_html_``, enum's ``_missing_``), which are public by convention."""
    return name.startswith("_") and not name.endswith("_")


def is_library(module: str) -> bool:
    """Whether a dotted module path belongs to cryptography, pyOpenSSL or the stdlib."""
    top = module.split(".")[0]
    return top in LIBRARIES or top in sys.stdlib_module_names


def module_name(path: Path, root: Path = PACKAGE) -> str:
    """``pkiviz/net/live.py`` -> ``pkiviz.net.live``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module under ``root``, by dotted name."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def absolute(module: str | None, level: int, here: str, *, is_package: bool) -> str:
    """The absolute module a (possibly relative) ``from`` import names."""
    if not level:
        return module or ""
    base = here.split(".")
    base = base[: len(base) - level + (1 if is_package else 0)]
    return ".".join([*base, *([module] if module else [])])


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_level_imports(
    tree: ast.Module, *, type_only: bool = False
) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: not in a function, not under TYPE_CHECKING
    (with ``type_only``, those under TYPE_CHECKING too)."""
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        elif isinstance(node, ast.If) and _type_checking(node.test) and not type_only:
            stack.extend(reversed(node.orelse))
        elif isinstance(node, ast.stmt):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


# -- rule 1: private names ------------------------------------------------------------------


def private_names(
    source: str, here: str, *, modules: frozenset[str] = frozenset(), is_package: bool = False
) -> list[tuple[int, str]]:
    """Private names of the libraries, or of other pkiviz modules, that ``source`` uses.

    Args:
        source: a module's source.
        here: its dotted name (``pkiviz.net.live``).
        modules: the dotted names of every pkiviz module, to tell a private module (which may be
            imported) from a private name defined inside a module (which may not).
        is_package: ``source`` is a package's ``__init__``.

    Returns:
        ``(line, what)`` for each breach, ``what`` naming the private name and where it is from.
    """
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    #: local name -> the module or object it is bound to, for the names bound to a library or
    #: to another pkiviz module.
    bound: dict[str, str] = {}

    def foreign(module: str) -> bool:
        return is_library(module) or (module.split(".")[0] == "pkiviz" and module != here)

    def check_path(line: int, dotted: str) -> None:
        parts = dotted.split(".")
        if not is_library(dotted):
            return  # a pkiviz module path: private modules may be imported
        for i, part in enumerate(parts):
            if is_private(part):
                found.append((line, f"{'.'.join(parts[: i + 1])} (private module of a library)"))
                return

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check_path(node.lineno, alias.name)
                if foreign(alias.name):
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        bound[top] = top
        elif isinstance(node, ast.ImportFrom):
            source_module = absolute(node.module, node.level, here, is_package=is_package)
            check_path(node.lineno, source_module)
            for alias in node.names:
                full = f"{source_module}.{alias.name}"
                if is_private(alias.name) and full not in modules:
                    if is_library(source_module):
                        found.append((node.lineno, f"{full} (private name of a library)"))
                    elif foreign(source_module) and (here, alias.name) not in ALLOWED:
                        found.append((node.lineno, f"{full} (private name of another module)"))
                if foreign(source_module) and alias.name != "*":
                    bound[alias.asname or alias.name] = full

    for node in ast.walk(tree):
        name: str | None = None
        base: ast.expr | None = None
        if isinstance(node, ast.Attribute):
            name, base = node.attr, node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr", "delattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            name, base = node.args[1].value, node.args[0]
        if name is None or base is None or not is_private(name) or (here, name) in ALLOWED:
            continue
        root = base
        chain = [name]
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        owner = bound.get(root.id) if isinstance(root, ast.Name) else None
        if owner is not None:
            dotted = ".".join([owner, *reversed(chain[1:])])
            if f"{dotted}.{name}" in modules:
                continue  # a private submodule reached as an attribute
            kind = "a library" if is_library(owner) else "another module"
            found.append((node.lineno, f"{dotted}.{name} (private name of {kind})"))
        elif name in KNOWN_PRIVATE_ATTRIBUTES and not (
            isinstance(base, ast.Name) and base.id in {"self", "cls"}
        ):
            found.append((node.lineno, f"{ast.unparse(base)}.{name} (known private attribute)"))
    return sorted(set(found))


def test_planted_private_names_are_caught() -> None:
    planted = {
        "from cryptography.x509.name import _ASN1Type\n": "cryptography.x509.name._ASN1Type",
        "import cryptography.hazmat._oid\n": "cryptography.hazmat._oid",
        "from cryptography.hazmat._oid import ObjectIdentifier\n": "cryptography.hazmat._oid",
        "from cryptography import x509\nx509.name._ASN1Type.UTF8String\n": "x509.name._ASN1Type",
        "import ssl\nssl._create_unverified_context()\n": "ssl._create_unverified_context",
        "from OpenSSL import SSL\nSSL._lib\n": "OpenSSL.SSL._lib",
        "def f(oid):\n    return oid._name\n": "oid._name",
        "def f(ctx):\n    ctx._msg_callback = None\n": "ctx._msg_callback",
        "def f(s):\n    return getattr(s, '_sslobj')\n": "s._sslobj",
        "from pkiviz.x509.keys import _stream\n": "pkiviz.x509.keys._stream",
        "from pkiviz.net import detect_servers\ndetect_servers._bound(1)\n": "_bound",
        "from ..x509.keys import _stream\n": "pkiviz.x509.keys._stream",
    }
    for source, what in planted.items():
        found = private_names(source, "pkiviz.tls.demo", modules=frozenset({"pkiviz.x509.keys"}))
        assert found and what in found[0][1], (source, found)


def test_public_names_and_private_modules_pass() -> None:
    clean = """
from __future__ import annotations
import ssl
from cryptography import x509
from cryptography.x509.oid import NameOID
from pkiviz import _html
from pkiviz import _serving
from pkiviz.net._msgcallback import record_messages

class Thing:
    def __init__(self, name):
        self._name = name

    def f(self, oid):
        return oid.dotted_string, self._name, ssl.SSLContext, x509.Name, NameOID.COMMON_NAME

    def g(self):
        return _serving.serve, _html.escape, record_messages, x509.Name._repr_html_
"""
    modules = frozenset({"pkiviz._html", "pkiviz._serving", "pkiviz.net._msgcallback"})
    assert private_names(clean, "pkiviz.demo", modules=modules) == []
    # a module may use its own private names, and the fence admits _msg_callback in one module
    assert private_names("def _f():\n    pass\n_f()\n", "pkiviz.demo") == []
    fenced = "def f(ctx):\n    ctx._msg_callback = None\n"
    assert private_names(fenced, "pkiviz.net._msgcallback") == []
    assert private_names(fenced, "pkiviz.net.live") != []


def test_pkiviz_uses_no_private_name_of_a_library_or_of_another_module() -> None:
    modules = all_modules()
    names = frozenset(modules)
    breaches = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for module, path in modules.items()
        for line, what in private_names(
            path.read_text(), module, modules=names, is_package=path.name == "__init__.py"
        )
    ]
    assert not breaches, "private names used:\n" + "\n".join(breaches)


def test_the_fence_is_still_needed() -> None:
    """Each fenced exception names a module that exists and still uses that name."""
    modules = all_modules()
    for module, name in ALLOWED:
        assert name in modules[module].read_text(), (module, name)


# -- rule 2: no import cycle ----------------------------------------------------------------


def import_graph(
    sources: Mapping[str, str], packages: frozenset[str] = frozenset(), *, type_only: bool = False
) -> dict[str, set[str]]:
    """Module-level imports among the given modules.

    Args:
        sources: each module's source, by dotted name.
        packages: which of those names are packages (their source is an ``__init__``).
        type_only: count the imports under ``if TYPE_CHECKING:`` too.

    Returns:
        For each module, the modules among ``sources`` it imports at module level. ``from p
        import x`` is an import of ``p.x`` when that is a module, else of ``p``.
    """
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for here, source in sources.items():
        for node in module_level_imports(ast.parse(source), type_only=type_only):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = absolute(node.module, node.level, here, is_package=here in packages)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in sources else base
                    for a in node.names
                ]
            graph[here].update(t for t in targets if t in sources and t != here)
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle, as ``[a, b, ..., a]``, or ``None``."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_planted_import_cycle_is_caught() -> None:
    sources = {
        "pkiviz.a": "from pkiviz import b\n",
        "pkiviz.b": "from pkiviz.c import thing\n",
        "pkiviz.c": "import pkiviz.a\n",
    }
    assert find_cycle(import_graph(sources)) == ["pkiviz.a", "pkiviz.b", "pkiviz.c", "pkiviz.a"]
    relative = {
        "pkiviz.p": "",
        "pkiviz.p.a": "from . import b\n",
        "pkiviz.p.b": "from .a import x\n",
    }
    assert find_cycle(import_graph(relative, frozenset({"pkiviz.p"}))) is not None


def test_deferred_imports_are_no_cycle() -> None:
    sources = {
        "pkiviz.a": "from pkiviz import b\n",
        "pkiviz.b": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from pkiviz import a\n"
            "def f():\n    from pkiviz import a\n"
        ),
    }
    assert find_cycle(import_graph(sources)) is None
    # control: the same import at module level (inside a try, as run at import time) is a cycle
    sources["pkiviz.b"] = "try:\n    from pkiviz import a\nexcept ImportError:\n    pass\n"
    assert find_cycle(import_graph(sources)) == ["pkiviz.a", "pkiviz.b", "pkiviz.a"]


def test_pkiviz_has_no_import_cycle() -> None:
    modules = all_modules()
    sources = {name: path.read_text() for name, path in modules.items()}
    packages = frozenset(n for n, p in modules.items() if p.name == "__init__.py")
    graph = import_graph(sources, packages)
    assert sum(len(v) for v in graph.values()) > 100  # control: the graph was read
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_pkiviz_has_no_cycle_even_among_type_only_imports() -> None:
    # Stricter than rule 2: a module named only for its types still sits in one layer order
    # (validation's report -> inputs -> context -> report was such a loop until the policy
    # literals moved to policy.py).
    modules = all_modules()
    sources = {name: path.read_text() for name, path in modules.items()}
    packages = frozenset(n for n, p in modules.items() if p.name == "__init__.py")
    graph = import_graph(sources, packages, type_only=True)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle through type-only imports: " + " -> ".join(cycle or ())


def test_a_type_only_cycle_is_caught_when_type_only_imports_count() -> None:
    sources = {
        "pkiviz.a": "from pkiviz import b\n",
        "pkiviz.b": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkiviz import a\n"
        ),
    }
    assert find_cycle(import_graph(sources, type_only=True)) == ["pkiviz.a", "pkiviz.b", "pkiviz.a"]
    assert find_cycle(import_graph(sources)) is None  # control: not at run time


# -- rule 3: a core without I/O -------------------------------------------------------------

#: Standard-library modules that open sockets, start processes or run an event loop.
IO_MODULES = frozenset(
    {"socket", "ssl", "subprocess", "urllib", "http", "socketserver", "selectors", "asyncio"}
)

#: The fenced exceptions among them, each with its reason.
IO_ALLOWED: Mapping[str, str] = {
    "urllib.parse": (
        "a string parser that imports no socket: name constraints read a URI's host with "
        "urlsplit (limbo's verdicts depend on its exact reading)"
    ),
}

#: The pure core: X.509 (building, parsing, drawing bytes), validation, revocation parsing and
#: judging, Certificate Transparency's data structures, and TLS message parsing. None of these
#: imports an I/O module or a NETWORK module, directly or through other pkiviz modules, even
#: inside a function. Fetching revocation answers is a fetcher the caller passes in
#: (:mod:`pkiviz.revocation.fetcher`).
PURE = frozenset(
    {
        # X.509 core
        "pkiviz.x509.der",
        "pkiviz.x509.load",
        "pkiviz.x509.keys",
        "pkiviz.x509.spec",
        "pkiviz.x509.factory",
        "pkiviz.x509.anatomy",
        "pkiviz.x509.bytemap",
        "pkiviz.x509.extensions",
        "pkiviz.x509.signature",
        "pkiviz.x509.signature_schemes",
        "pkiviz.x509.tamper",
        "pkiviz.x509.parse",
        "pkiviz.x509.example",
        "pkiviz.x509",
        "pkiviz.x509.hexdump",
        "pkiviz.x509._curves",
        "pkiviz.clock",
        "pkiviz.errors",
        # validation (compare runs `openssl verify`: the verifier adapters' side)
        "pkiviz.validation",
        "pkiviz.validation.chain",
        "pkiviz.validation.checks",
        "pkiviz.validation.constraints",
        "pkiviz.validation.context",
        "pkiviz.validation.crl",
        "pkiviz.validation.facts",
        "pkiviz.validation.hostname",
        "pkiviz.validation.inputs",
        "pkiviz.validation.path",
        "pkiviz.validation.policy",
        "pkiviz.validation.pools",
        "pkiviz.validation.report",
        "pkiviz.validation.revocation",
        "pkiviz.validation.rules_cert",
        "pkiviz.validation.rules_ct",
        "pkiviz.validation.rules_path",
        "pkiviz.validation.scenarios",
        "pkiviz.validation.validator",
        # revocation: building, parsing, judging, and the fetcher protocol
        "pkiviz.revocation",
        "pkiviz.revocation._common",
        "pkiviz.revocation.crl",
        "pkiviz.revocation.ocsp",
        "pkiviz.revocation.ocsp_check",
        "pkiviz.revocation.fetcher",
        # Certificate Transparency: SCTs, Merkle trees, an in-memory log, policies
        "pkiviz.ct",
        "pkiviz.ct._signing",
        "pkiviz.ct.entries",
        "pkiviz.ct.issue",
        "pkiviz.ct.known_logs",
        "pkiviz.ct.log",
        "pkiviz.ct.merkle",
        "pkiviz.ct.policy",
        "pkiviz.ct.real",
        "pkiviz.ct.sct",
        "pkiviz.ct.verify",
        # TLS messages, key schedule, signatures, explanations (sans-IO)
        "pkiviz.tls",
        "pkiviz.tls._der",
        "pkiviz.tls._wire",
        "pkiviz.tls.explain",
        "pkiviz.tls.handshake",
        "pkiviz.tls.keyschedule",
        "pkiviz.tls.messages",
        "pkiviz.tls.names",
        "pkiviz.tls.signatures",
        "pkiviz.tls.glassbox",
        "pkiviz.tls.glassbox_hello",
        "pkiviz.tls.glassbox_kex",
        "pkiviz.tls.glassbox_records",
        "pkiviz.tls.glassbox_schedule",
    }
)

#: The I/O side: every module that imports an I/O module itself, and the servers built on
#: :mod:`pkiviz._loopback` (servers, clients, capture, external tools, the CLI's trust store, the
#: classroom). A pure module imports none of them.
#: Modules that only drive these (``net.mtls``, ``net.detect``, ``net.pcap``...) are in neither
#: list: they are on the network side because they import it.
NETWORK = frozenset(
    {
        "pkiviz._loopback",
        "pkiviz.lab.serve",
        "pkiviz.net.tools",
        "pkiviz.net.trust_store",  # ssl, for the platform's CA paths: opens no socket, but is I/O
        "pkiviz.ca.acme_local",
        "pkiviz.classroom.hub",
        "pkiviz.classroom.load",
        "pkiviz.classroom.student",
        "pkiviz.cli.validate",
        "pkiviz.site.widgets",
        "pkiviz.crosscheck.compare",
        "pkiviz.revocation.fetch",
        "pkiviz.revocation.responder",
        "pkiviz.revocation.stapling",
        "pkiviz.ct.client",
        "pkiviz.ct.server",
        "pkiviz.net._msgcallback",
        "pkiviz._serving",
        "pkiviz.net.detect_servers",
        "pkiviz.net.forward_secrecy",
        "pkiviz.net.glassbox_run",
        "pkiviz.net.impostor",
        "pkiviz.net.listen",
        "pkiviz.net.live",
        "pkiviz.net.mtls_failures",
        "pkiviz.net.nginx",
        "pkiviz.net.probe",
        "pkiviz.net.s_server",
        "pkiviz.net.wire",
    }
)


def runtime_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that can run: at module level or inside a function, not under TYPE_CHECKING."""
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _type_checking(node.test):
            stack.extend(reversed(node.orelse))
        else:
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def io_edges(
    sources: Mapping[str, str], packages: frozenset[str] = frozenset()
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """What each module imports at run time: pkiviz modules, and I/O modules of the stdlib.

    Importing ``pkiviz.net.live`` also runs ``pkiviz/net/__init__.py``, so a module's parent
    packages count among its imports.

    Returns:
        ``(graph, io)``: for each module the pkiviz modules among ``sources`` it imports, and
        the I/O modules (``IO_MODULES``, less ``IO_ALLOWED``) it imports itself.
    """
    graph: dict[str, set[str]] = {name: set() for name in sources}
    io: dict[str, set[str]] = {name: set() for name in sources}

    def note(here: str, target: str) -> None:
        if target.split(".")[0] in IO_MODULES and target not in IO_ALLOWED:
            io[here].add(target)
        parts = target.split(".")
        for k in range(1, len(parts) + 1):  # the module and each package above it
            prefix = ".".join(parts[:k])
            if prefix in sources and prefix != here:
                graph[here].add(prefix)

    for here, source in sources.items():
        parts = here.split(".")
        for k in range(1, len(parts)):
            if ".".join(parts[:k]) in sources:
                graph[here].add(".".join(parts[:k]))
        for node in runtime_imports(ast.parse(source)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    note(here, alias.name)
            else:
                base = absolute(node.module, node.level, here, is_package=here in packages)
                note(here, base)
                for alias in node.names:
                    if f"{base}.{alias.name}" in sources:
                        note(here, f"{base}.{alias.name}")
    return graph, io


def io_breaches(
    sources: Mapping[str, str],
    pure: frozenset[str],
    network: frozenset[str],
    packages: frozenset[str] = frozenset(),
) -> dict[str, list[str]]:
    """For each pure module that reaches I/O, the import chain that reaches it.

    Returns:
        ``{module: [module, ..., culprit, "socket"]}``, the chain ending in the I/O module or
        the network module reached; empty when every pure module is clean.
    """
    graph, io = io_edges(sources, packages)
    found: dict[str, list[str]] = {}
    for start in sorted(pure):
        parent: dict[str, str | None] = {start: None}
        queue = [start]
        while queue and start not in found:
            here = queue.pop(0)
            if io[here] or here in network:
                chain = [here]
                while (up := parent[chain[-1]]) is not None:
                    chain.append(up)
                found[start] = [*reversed(chain), *sorted(io[here])]
                break
            for nxt in sorted(graph[here]):
                if nxt not in parent:
                    parent[nxt] = here
                    queue.append(nxt)
    return found


def test_planted_io_in_the_core_is_caught() -> None:
    sources = {
        "pkiviz": "from pkiviz.a import x\n",
        "pkiviz.a": "def f():\n    from pkiviz import b\n",  # inside a function still counts
        "pkiviz.b": "import socket\n",
        "pkiviz.c": "from pkiviz.net import serve\n",
        "pkiviz.net": "",
        "pkiviz.d": "from urllib.request import urlopen\n",
        "pkiviz.e": "from . import b\n",
    }
    pure = frozenset({"pkiviz.a", "pkiviz.c", "pkiviz.d", "pkiviz.e"})
    found = io_breaches(sources, pure, frozenset({"pkiviz.net"}), frozenset({"pkiviz"}))
    assert found == {
        "pkiviz.a": ["pkiviz.a", "pkiviz.b", "socket"],
        "pkiviz.c": ["pkiviz.c", "pkiviz.net"],
        "pkiviz.d": ["pkiviz.d", "urllib.request"],
        "pkiviz.e": ["pkiviz.e", "pkiviz.b", "socket"],
    }
    # a parent package's imports run too: planted in pkiviz/__init__.py, every module reaches it
    sources["pkiviz"] = "import subprocess\n"
    assert io_breaches(sources, frozenset({"pkiviz.net"}), frozenset())["pkiviz.net"] == [
        "pkiviz.net",
        "pkiviz",
        "subprocess",
    ]


def test_clean_core_passes() -> None:
    sources = {
        "pkiviz": "",
        "pkiviz.a": (
            "from typing import TYPE_CHECKING\nfrom urllib.parse import urlsplit\n"
            "from pkiviz import b\nif TYPE_CHECKING:\n    import ssl\n    from pkiviz import net\n"
        ),
        "pkiviz.b": "import hashlib\nimport socketserverless\n",
        "pkiviz.net": "import socket\nfrom pkiviz import a\n",  # the network may use the core
    }
    pure = frozenset({"pkiviz.a", "pkiviz.b"})
    assert io_breaches(sources, pure, frozenset({"pkiviz.net"}), frozenset({"pkiviz"})) == {}


def test_the_core_opens_no_socket_and_starts_no_process() -> None:
    modules = all_modules()
    sources = {name: path.read_text() for name, path in modules.items()}
    packages = frozenset(n for n, p in modules.items() if p.name == "__init__.py")
    assert not (PURE | NETWORK) - set(modules), (PURE | NETWORK) - set(modules)
    assert not PURE & NETWORK
    found = io_breaches(sources, PURE, NETWORK, packages)
    assert not found, "I/O reached from the pure core:\n" + "\n".join(
        " -> ".join(chain) for chain in found.values()
    )
    # control: every module that imports an I/O module itself is listed in NETWORK, and every
    # module listed there reaches I/O
    _, io = io_edges(sources, packages)
    unlisted = {m for m, used in io.items() if used} - NETWORK
    assert not unlisted, f"these import I/O modules; list them in NETWORK: {sorted(unlisted)}"
    assert set(io_breaches(sources, NETWORK, frozenset(), packages)) == NETWORK
    # and in the packages the core lives in, every module is pure or on the network side
    core_packages = (
        "pkiviz.x509",
        "pkiviz.validation",
        "pkiviz.revocation",
        "pkiviz.ct",
        "pkiviz.tls",
    )
    in_core = {m for m in modules if m in core_packages or m.rpartition(".")[0] in core_packages}
    reaching_io = set(io_breaches(sources, frozenset(modules), NETWORK, packages))
    unclassified = in_core - PURE - NETWORK - reaching_io
    assert not unclassified, f"pure, but not listed in PURE: {sorted(unclassified)}"


def test_the_tls_package_is_pure_and_the_net_package_names_its_modules() -> None:
    """Every module of ``pkiviz.tls`` is pure; ``pkiviz/net/__init__.py`` names its network side."""
    modules = all_modules()
    tls = {m for m in modules if m == "pkiviz.tls" or m.startswith("pkiviz.tls.")}
    assert tls and tls <= PURE, sorted(tls - PURE)
    docstring = ast.get_docstring(ast.parse((PACKAGE / "net" / "__init__.py").read_text())) or ""
    network = {m for m in NETWORK if m.startswith("pkiviz.net.")}
    assert network  # control: the list was read
    missing = {m for m in network if f":mod:`{m}`" not in docstring}
    assert not missing, f"pkiviz/net/__init__.py does not name {sorted(missing)}"


# -- rule 4: layers -------------------------------------------------------------------------

#: Above every layer: the public names (``pkiviz/__init__.py`` re-exports the X.509 core's) and
#: ``python -m pkiviz`` (the command line). Nothing in pkiviz imports them at module level.
FACADE = frozenset({"pkiviz", "pkiviz.__main__"})


def layer_order(docstring: str) -> dict[str, int]:
    """``{package: layer}`` from a numbered list: ``3. validation: ...``, ``2. revocation, ct:``.

    ``base`` names the top-level modules (``pkiviz.errors``, ``pkiviz._html``...).
    """
    order: dict[str, int] = {}
    for line in docstring.splitlines():
        if match := re.match(r"(\d+)\. ([\w, ]+):", line):
            for name in match[2].split(","):
                order[name.strip()] = int(match[1])
    return order


def package_of(module: str, packages: frozenset[str]) -> str:
    """``pkiviz.net.live`` -> ``net``; a top-level module (``pkiviz.errors``) -> ``base``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and ".".join(parts[:2]) in packages else "base"


def upward_imports(
    sources: Mapping[str, str], layers: Mapping[str, int], packages: frozenset[str]
) -> list[str]:
    """Each module-level import from a lower layer into a higher one (or into the facade)."""
    top = max(layers.values()) + 1

    def layer(module: str) -> int:
        return top if module in FACADE else layers[package_of(module, packages)]

    found = []
    for here, targets in import_graph(sources, packages).items():
        if here in FACADE:
            continue
        for target in sorted(targets):
            if layer(target) > layer(here):
                found.append(
                    f"{here} (layer {layer(here)}) imports {target} (layer {layer(target)})"
                )
    return sorted(found)


PLANTED_LAYERS = {"base": 0, "x509": 1, "net": 2}


def test_planted_upward_import_is_caught() -> None:
    sources = {
        "pkiviz": "from pkiviz.x509.a import thing\n",
        "pkiviz.errors": "",
        "pkiviz.x509": "",
        "pkiviz.x509.a": "from pkiviz.errors import E\nfrom pkiviz.net import b\n",
        "pkiviz.x509.c": "from ..net.b import serve\n",
        "pkiviz.net": "",
        "pkiviz.net.b": "",
        "pkiviz.table": "import pkiviz.x509.a\n",
        "pkiviz.net.d": "import pkiviz\n",
    }
    packages = frozenset({"pkiviz", "pkiviz.x509", "pkiviz.net"})
    assert upward_imports(sources, PLANTED_LAYERS, packages) == [
        "pkiviz.net.d (layer 2) imports pkiviz (layer 3)",
        "pkiviz.table (layer 0) imports pkiviz.x509.a (layer 1)",
        "pkiviz.x509.a (layer 1) imports pkiviz.net.b (layer 2)",
        "pkiviz.x509.c (layer 1) imports pkiviz.net.b (layer 2)",
    ]


def test_downward_and_deferred_imports_pass() -> None:
    sources = {
        "pkiviz": "from pkiviz.x509.a import thing\n",  # the facade may import any layer
        "pkiviz.errors": "",
        "pkiviz.x509": "",
        "pkiviz.x509.a": (
            "from typing import TYPE_CHECKING\nfrom pkiviz.errors import E\n"
            "from pkiviz.x509 import c\nif TYPE_CHECKING:\n    from pkiviz.net import b\n"
            "def f():\n    from pkiviz.net import b\n"
        ),
        "pkiviz.x509.c": "",
        "pkiviz.net": "",
        "pkiviz.net.b": "from pkiviz.x509.a import thing\nfrom pkiviz import errors\n",
    }
    packages = frozenset({"pkiviz", "pkiviz.x509", "pkiviz.net"})
    assert upward_imports(sources, PLANTED_LAYERS, packages) == []


def test_no_import_goes_up_a_layer() -> None:
    modules = all_modules()
    sources = {name: path.read_text() for name, path in modules.items()}
    packages = frozenset(n for n, p in modules.items() if p.name == "__init__.py")
    layers = layer_order(ast.get_docstring(ast.parse(sources["pkiviz"])) or "")
    # control: the list was read, and names every package of pkiviz and nothing else
    named = {package_of(m, packages) for m in modules if m not in FACADE}
    assert set(layers) == named, (sorted(set(layers) - named), sorted(named - set(layers)))
    found = upward_imports(sources, layers, packages)
    assert not found, "imports into a higher layer:\n" + "\n".join(found)


def test_each_package_names_its_layer() -> None:
    modules = all_modules()
    layers = layer_order(ast.get_docstring(ast.parse(modules["pkiviz"].read_text())) or "")
    for package, layer in layers.items():
        if package == "base":
            continue
        docstring = ast.get_docstring(ast.parse(modules[f"pkiviz.{package}"].read_text())) or ""
        assert f"Layer {layer} (see :mod:`pkiviz`)" in docstring, package
