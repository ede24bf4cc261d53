"""DV, OV and EV as data: what the CA checks, and what ends up in the certificate.

The three levels differ in what the CA verifies before it signs (the
article: DigiCert checks domain control for DV, the organisation's
registration for OV, and legal, physical and operational existence for EV),
and in what the certificate then says: a CA/Browser Forum policy OID
(Baseline Requirements 7.1.6.1, EV Guidelines 9.7) and, for OV and EV, the
organisation's name and address in the subject; EV adds the jurisdiction of
incorporation, the business category and the registration number (EV
Guidelines 9.2).

What a browser does with it has changed: since 2019 Chrome and Firefox show
EV certificates like any other (no green bar, no company name in the address
bar). The difference is what the CA checked, not how the padlock looks.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from cryptography import x509
from cryptography.x509.oid import NameOID

from pkiviz.table import Table
from pkiviz.vocabulary import POLICY_OIDS
from pkiviz.x509.example import HOSTNAME, ORG, running_example
from pkiviz.x509.factory import Issued
from pkiviz.x509.spec import CertSpec

LevelName = Literal["dv", "ov", "ev"]

#: EV subject attributes (EV Guidelines 9.2.4-9.2.5; OIDs from Microsoft's arc and X.520).
JURISDICTION_COUNTRY = NameOID.JURISDICTION_COUNTRY_NAME
JURISDICTION_STATE = NameOID.JURISDICTION_STATE_OR_PROVINCE_NAME
BUSINESS_CATEGORY = NameOID.BUSINESS_CATEGORY
SERIAL_NUMBER = NameOID.SERIAL_NUMBER


@dataclasses.dataclass(frozen=True)
class Organization:
    """The (fictional) applicant behind ``login.example.com``.

    Attributes:
        name: legal name (subject O).
        locality: city (subject L).
        state: state or province (subject ST).
        country: ISO 3166 country code (subject C).
        jurisdiction_country: where it is incorporated (EV).
        jurisdiction_state: the state of incorporation (EV).
        business_category: ``"Private Organization"``, ``"Government Entity"``,
            ``"Business Entity"`` or ``"Non-Commercial Entity"`` (EV).
        registration_number: the company registration number (EV serialNumber).
    """

    name: str = "Example Login Inc."
    locality: str = "San Francisco"
    state: str = "California"
    country: str = "US"
    jurisdiction_country: str = "US"
    jurisdiction_state: str = "Delaware"
    business_category: str = "Private Organization"
    registration_number: str = "5550123"


EXAMPLE_ORG = Organization()


@dataclasses.dataclass(frozen=True)
class ValidationLevel:
    """One validation level.

    Attributes:
        name: ``"dv"``, ``"ov"`` or ``"ev"``.
        title: e.g. ``"Domain Validation"``.
        policy_oid: the CA/B Forum policy OID the certificate carries.
        ca_verifies: what the CA checks before issuing, in order.
        subject_fields: the subject attributes the certificate carries.
        typical_time: how long issuance usually takes.
        used_for: who typically buys it.
    """

    name: LevelName
    title: str
    policy_oid: str
    ca_verifies: tuple[str, ...]
    subject_fields: tuple[str, ...]
    typical_time: str
    used_for: str


LEVELS: tuple[ValidationLevel, ...] = (
    ValidationLevel(
        name="dv",
        title="Domain Validation",
        policy_oid=POLICY_OIDS["dv"].dotted_string,
        ca_verifies=(
            "the applicant controls the domain: a file on its web server (ACME HTTP-01), "
            "a DNS record (DNS-01) or an e-mail to the domain's admin",
        ),
        subject_fields=("CN (the domain, also in the SAN)",),
        typical_time="seconds to hours (automated)",
        used_for="most HTTPS sites",
    ),
    ValidationLevel(
        name="ov",
        title="Organization Validation",
        policy_oid=POLICY_OIDS["ov"].dotted_string,
        ca_verifies=(
            "domain control, as for DV",
            "the organisation legally exists (government or business registry)",
            "its name and address, from a reliable data source",
            "the request is genuine (a call-back to a verified telephone number)",
        ),
        subject_fields=("CN", "O", "L", "ST", "C"),
        typical_time="one to a few days",
        used_for="companies that want their name in the certificate",
    ),
    ValidationLevel(
        name="ev",
        title="Extended Validation",
        policy_oid=POLICY_OIDS["ev"].dotted_string,
        ca_verifies=(
            "everything OV checks",
            "legal existence and registration number in the jurisdiction of incorporation",
            "a physical place of business",
            "operational existence (e.g. at least three years, or a bank account)",
            "the authority of the person who signed the request",
            "the exclusive right to use the domain",
        ),
        subject_fields=(
            "CN",
            "O",
            "L",
            "ST",
            "C",
            "businessCategory (2.5.4.15)",
            "jurisdictionCountryName (1.3.6.1.4.1.311.60.2.1.3)",
            "jurisdictionStateOrProvinceName (1.3.6.1.4.1.311.60.2.1.2)",
            "serialNumber (2.5.4.5, the registration number)",
        ),
        typical_time="several days to weeks",
        used_for="banks and other high-value sites",
    ),
)


def level(name: str) -> ValidationLevel:
    """Look a level up by name.

    Args:
        name: ``"dv"``, ``"ov"`` or ``"ev"`` (any case).

    Returns:
        The level.

    Raises:
        ValueError: for another name.
    """
    for item in LEVELS:
        if item.name == name.lower():
            return item
    raise ValueError(f"unknown validation level {name!r}; use dv, ov or ev")


def levels_table() -> Table:
    """The three levels side by side, for the book.

    Returns:
        A table that renders itself as text and HTML.
    """
    return Table(
        columns=("Level", "Policy OID", "The CA verifies", "Subject carries", "Typical time"),
        rows=tuple(
            (
                f"{lv.name.upper()} ({lv.title})",
                lv.policy_oid,
                "; ".join(lv.ca_verifies),
                ", ".join(lv.subject_fields),
                lv.typical_time,
            )
            for lv in LEVELS
        ),
        caption="What a CA checks at each validation level, and what the certificate says",
    )


def subject_for(name: LevelName, hostname: str = HOSTNAME, org: Organization = EXAMPLE_ORG) -> str:
    """The subject DN a certificate of this level carries, as an RFC 4514 string.

    Args:
        name: the level.
        hostname: the domain (subject CN).
        org: the organisation (ignored for DV).

    Returns:
        The subject, e.g. ``"CN=login.example.com"`` for DV.
    """
    level(name)
    attrs = []
    if name == "ev":
        attrs += [
            x509.NameAttribute(JURISDICTION_COUNTRY, org.jurisdiction_country),
            x509.NameAttribute(JURISDICTION_STATE, org.jurisdiction_state),
            x509.NameAttribute(BUSINESS_CATEGORY, org.business_category),
            x509.NameAttribute(SERIAL_NUMBER, org.registration_number),
        ]
    if name in ("ov", "ev"):
        attrs += [
            x509.NameAttribute(NameOID.COUNTRY_NAME, org.country),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, org.state),
            x509.NameAttribute(NameOID.LOCALITY_NAME, org.locality),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.name),
        ]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, hostname))
    return x509.Name(attrs).rfc4514_string()


def spec_for(
    name: LevelName,
    hostname: str = HOSTNAME,
    *,
    org: Organization = EXAMPLE_ORG,
    **options: object,
) -> CertSpec:
    """The server-certificate spec a CA issues at this level.

    Args:
        name: ``"dv"``, ``"ov"`` or ``"ev"``.
        hostname: the domain (CN and SAN).
        org: the verified organisation (OV, EV).
        **options: further :class:`CertSpec` fields.

    Returns:
        A spec with the level's policy OID, subject, SAN and EKU serverAuth.
    """
    fields: dict[str, object] = {
        "label": f"{hostname} [{name}]",
        "subject": subject_for(name, hostname, org),
        "dns_names": (hostname,),
        "extended_key_usage": ("server_auth",),
        "policies": (name,),
    }
    fields.update(options)
    return CertSpec(**fields)  # type: ignore[arg-type]


def issue_at_level(name: LevelName, hostname: str = HOSTNAME) -> Issued:
    """Issue ``hostname``'s certificate at a level, under an intermediate for that level.

    CAs run a separate issuing CA per level, each asserting only its level's
    policy OID, so that an EV chain is EV all the way up (EV Guidelines 9.7).
    The intermediate hangs under the running example's root.

    Args:
        name: ``"dv"``, ``"ov"`` or ``"ev"``.
        hostname: the domain.

    Returns:
        The leaf; ``.issuer`` is the level's intermediate.
    """
    title = level(name).name.upper()
    root = running_example().root
    issuing = root.intermediate(
        f"Example Trust {title} TLS CA 2026",
        subject=f"CN=Example Trust {title} TLS CA 2026,{ORG}",
        path_length=0,
        extended_key_usage=("server_auth",),
        policies=(name,),
        hash=root.spec.hash,
    )
    return issuing.issue(spec_for(name, hostname))


def level_of(cert: x509.Certificate) -> LevelName | None:
    """Which level a certificate claims, read from its CA/B Forum policy OID.

    This is all a browser can know: the certificate says what the CA claims
    to have checked.

    Args:
        cert: any certificate.

    Returns:
        ``"ev"``, ``"ov"``, ``"dv"``, or ``None`` if it asserts none of them.
    """
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return None
    present = {p.policy_identifier.dotted_string for p in policies}
    for lv in sorted(LEVELS, key=lambda item: ("ev", "ov", "dv").index(item.name)):
        if lv.policy_oid in present:
            return lv.name
    return None


__all__ = [
    "BUSINESS_CATEGORY",
    "EXAMPLE_ORG",
    "JURISDICTION_COUNTRY",
    "JURISDICTION_STATE",
    "LEVELS",
    "SERIAL_NUMBER",
    "LevelName",
    "Organization",
    "ValidationLevel",
    "issue_at_level",
    "level",
    "level_of",
    "levels_table",
    "spec_for",
    "subject_for",
]
