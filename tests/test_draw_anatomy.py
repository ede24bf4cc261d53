"""pkiviz.draw.anatomy: Figure 1 drawn from a real certificate's Anatomy."""

from __future__ import annotations

import dataclasses
import io

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pkiviz.draw import anatomy_alt_text, draw_anatomy
from pkiviz.draw.anatomy import figure_rows
from pkiviz.x509.anatomy import anatomy
from pkiviz.x509.example import running_example
from pkiviz.x509.spec import CustomExtension

EX = running_example()


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [
        ax.get_title(loc="left") for ax in fig.axes
    ]


def test_rows_follow_certificate_order_with_the_signature_last() -> None:
    rows = figure_rows(anatomy(EX.server))
    labels = [r.label for r in rows]
    assert labels[:6] == [
        "Version",
        "Serial number",
        "Issuer (the CA)",
        "Validity",
        "Subject",
        "Subject public key",
    ]
    assert labels[-2:] == ["Signature algorithm", "CA's signature"]
    assert [r.kind for r in rows].count("key") == 1
    assert "2 more extensions" in labels  # SKI and AKI have no row of their own
    assert rows[-1].value.endswith(f"({len(EX.server.certificate.signature)} bytes)")


def test_figure_shows_the_fields() -> None:
    fig = draw_anatomy(EX.server)
    assert isinstance(fig, Figure)
    texts = _texts(fig)
    assert "Figure 1. Anatomy of an X.509 certificate: CN=login.example.com" in texts
    for expected in ("CN=login.example.com", "EC P-256 (secp256r1), 256 bits", "serverAuth"):
        assert expected in texts
    assert "one field among many" in texts
    assert any("signed by" in t for t in texts)


def test_figure_is_deterministic() -> None:
    def png() -> bytes:
        buffer = io.BytesIO()
        draw_anatomy(EX.server).savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()

    assert png() == png()
    # control: a different certificate draws differently
    assert _texts(draw_anatomy(EX.client)) != _texts(draw_anatomy(EX.server))


def test_draws_into_given_axes() -> None:
    fig = Figure()
    ax: Axes = fig.add_subplot()
    assert draw_anatomy(anatomy(EX.root), ax=ax) is fig
    assert any("Example Trust Root CA" in t.get_text() for t in ax.texts)


def test_alt_text_names_every_box() -> None:
    a = anatomy(EX.server)
    alt = anatomy_alt_text(a)
    for row in figure_rows(a):
        assert row.label in alt and row.value in alt
    assert "one field among many" in alt
    assert alt.index("Subject public key") < alt.index("CA's signature")


def test_unparsed_extension_is_drawn_not_raised() -> None:
    broken = EX.intermediate.issue(
        dataclasses.replace(
            EX.server.spec,
            label="draw-bad-san",
            dns_names=(),
            extra_extensions=(CustomExtension("2.5.29.17", b"\x04\x00"),),
        )
    )
    rows = figure_rows(anatomy(broken))
    assert any("subjectAltName (unparsed)" in r.value for r in rows)
    assert not any(r.label == "Subject alt names" for r in rows)
    assert draw_anatomy(broken) is not None


def test_wrong_type() -> None:
    with pytest.raises(TypeError):
        draw_anatomy("login.example.com")
    assert draw_anatomy(EX.server.pem.data) is not None
