"""The book's glossary: each term once, with a definition in plain English.

The site builder renders this table as ``glossary.html`` and links the first appearance of each
term (or one of its ``forms``) in every chapter's prose to its entry. Matching is by whole word;
a form written in capitals (``CA``, ``OCSP``) matches only in capitals, any other form matches
in any case, and a trailing plural ``s`` is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One glossary entry.

    Attributes:
        term: The headword, as the glossary page shows it.
        definition: One or two sentences of plain English.
        forms: Other spellings that link here (abbreviations, longer names).
    """

    term: str
    definition: str
    forms: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        """The entry's anchor on the glossary page, e.g. ``term-trust-anchor``."""
        return "term-" + re.sub(r"[^a-z0-9]+", "-", self.term.lower()).strip("-")

    @property
    def all_forms(self) -> tuple[str, ...]:
        """The headword and its other forms."""
        return (self.term, *self.forms)


TERMS: tuple[Term, ...] = (
    Term(
        "ACME",
        "Automatic Certificate Management Environment (RFC 8555): the protocol a CA such as "
        "Let's Encrypt uses to check that you control a domain and then issue its certificate "
        "without a person in the loop.",
    ),
    Term(
        "AEAD",
        "Authenticated encryption with associated data: a cipher that encrypts a message and "
        "computes a tag over it and some unencrypted data (a TLS record's header), so that any "
        "change to either is detected. TLS 1.3 protects every record with one, such as AES-GCM "
        "or ChaCha20-Poly1305.",
        ("authenticated encryption",),
    ),
    Term(
        "alert",
        "A short TLS message by which one side tells the other what went wrong: a level "
        "(warning or fatal) and a code, such as 48 unknown_ca or 116 certificate_required. A "
        "fatal alert ends the connection.",
        ("TLS alert",),
    ),
    Term(
        "asymmetric cryptography",
        "Cryptography with key pairs: a private key that its owner keeps and a public key that "
        "anyone may have. What the private key signs, the public key verifies, and nothing "
        "else does; TLS certificates and handshake signatures rest on it.",
        ("key pair", "public-key cryptography"),
    ),
    Term(
        "audit path",
        "The hashes a Certificate Transparency log sends to prove that one entry is in its Merkle "
        "tree: the sibling of each node on the way from the entry's leaf to the root. Hashing the "
        "leaf with them in turn must give the root of a signed tree head.",
        ("inclusion proof",),
    ),
    Term(
        "Basic Constraints",
        "The extension that says whether a certificate belongs to a CA (cA=TRUE) and may sign "
        "other certificates, and optionally how many CA certificates may follow it in a chain.",
    ),
    Term(
        "CAA",
        "Certification Authority Authorization (RFC 8659): a DNS record in which a domain names "
        "the only CAs allowed to issue certificates for it; every public CA must check it before "
        "signing.",
        ("CAA record",),
    ),
    Term(
        "certificate",
        "A signed statement binding a public key to a name (for TLS, a host name): the issuer's "
        "signature over the subject, the key, the validity period and the extensions.",
        ("X.509 certificate",),
    ),
    Term(
        "certificate authority",
        "An organisation (or a key it holds) that signs certificates for others. Clients trust "
        "a certificate because a chain of CA signatures leads from it to a trust anchor.",
        ("CA", "certificate authorities"),
    ),
    Term(
        "certificate chain",
        "The sequence leaf, intermediates, root in which each certificate is signed by the key "
        "of the next. Validation checks every link and ends at a trust anchor.",
        ("chain of trust", "chains of trust"),
    ),
    Term(
        "certificate policy",
        "An OID in a certificate's Certificate Policies extension naming the rules the CA issued "
        "it under; the CA/Browser Forum's 2.23.140.1.2.1, 2.23.140.1.2.2 and 2.23.140.1.1 mark "
        "DV, OV and EV. Path validation checks policies only when the relying party asks it to.",
        ("policy OID", "certificate policies"),
    ),
    Term(
        "Certificate Transparency",
        "The system (RFC 6962) that makes every publicly trusted certificate public: CAs submit "
        "certificates to append-only logs, browsers require proof of logging (SCTs), and domain "
        "owners monitor the logs for certificates they never asked for.",
        ("CT",),
    ),
    Term(
        "CertificateRequest",
        "The TLS handshake message in which the server asks the client for a certificate, "
        "listing the signature schemes (and optionally the CA names) it accepts. It is the sure "
        "sign that a server asks for a client certificate, not that it requires one: a server "
        "may ask and still accept a client that sends none.",
    ),
    Term(
        "CertificateVerify",
        "The TLS handshake message in which a peer signs the handshake transcript with the "
        "private key of its certificate, proving it holds that key right now (signature two).",
    ),
    Term(
        "cipher suite",
        "A named set of algorithms a TLS connection uses, agreed in the hellos. In TLS 1.3 it "
        "names the record protection and the hash (TLS_AES_256_GCM_SHA384); in TLS 1.2 it also "
        "named the key exchange and the server's signature type.",
        ("ciphersuite",),
    ),
    Term(
        "client certificate",
        "A certificate the client presents when the server asks for one (CertificateRequest), "
        "so that the server can authenticate the client; the basis of mutual TLS.",
    ),
    Term(
        "consistency proof",
        "The hashes a Certificate Transparency log sends to prove that its tree of n entries "
        "begins with its earlier tree of m entries unchanged, so that it only ever appended.",
    ),
    Term(
        "Common Name",
        "The CN attribute of a certificate's subject. Once used for the host name; today "
        "clients must match host names against the Subject Alternative Name instead.",
        ("CN",),
    ),
    Term(
        "CRL",
        "Certificate Revocation List: a list of revoked serial numbers, signed and dated by the "
        "CA that issued them. Browsers rarely download one; they get revocations in lists their "
        "vendor builds and pushes to them (CRLSets, OneCRL, CRLite).",
        ("certificate revocation list",),
    ),
    Term(
        "cross-signing",
        "Issuing a second certificate for the same CA name and key from a different issuer, so "
        "that clients trusting either root can build a path to it.",
        ("cross-signed",),
    ),
    Term(
        "DER",
        "Distinguished Encoding Rules: the exact binary encoding of ASN.1 that a certificate is "
        "made of, and the bytes its signature covers.",
    ),
    Term(
        "Extended Key Usage",
        "The extension listing what a certificate's key may be used for at the application "
        "level, such as serverAuth or clientAuth.",
        ("EKU",),
    ),
    Term(
        "extension",
        "A typed field in an X.509 v3 certificate (Basic Constraints, Key Usage, Subject "
        "Alternative Name, ...); one marked critical must be understood or the certificate "
        "rejected.",
    ),
    Term(
        "forward secrecy",
        "The property that recorded traffic stays secret even if a long-term private key is "
        "stolen later: the session keys come from ephemeral key shares that are thrown away, "
        "not from the server's certificate key. Every TLS 1.3 handshake has it.",
        ("perfect forward secrecy", "PFS"),
    ),
    Term(
        "handshake",
        "The first messages of a TLS connection, in which client and server agree on keys and "
        "the server (and in mutual TLS, the client) proves its identity.",
    ),
    Term(
        "hardware security module",
        "A tamper-resistant device that generates a private key, keeps it and signs with it, "
        "without ever letting the key out. CAs keep their root keys in HSMs.",
        ("HSM",),
    ),
    Term(
        "HelloRetryRequest",
        "The TLS 1.3 message a server sends instead of a ServerHello when it needs a different "
        "ClientHello, usually one with a key share for another group; the client then sends a "
        "second ClientHello (RFC 8446 4.1.4).",
    ),
    Term(
        "HKDF",
        "The HMAC-based key derivation function (RFC 5869): it extracts a uniform secret from "
        "input keying material and expands it into as many labelled keys as needed. TLS 1.3 "
        "derives every secret and key of a connection with it.",
    ),
    Term(
        "HTTPS",
        "HTTP carried inside a TLS connection. In ordinary HTTPS only the server presents a "
        "certificate and signs the handshake; the client stays anonymous to TLS.",
    ),
    Term(
        "hybrid key exchange",
        "A key exchange that runs a classical and a post-quantum algorithm together and combines "
        "their shared secrets, so the connection stays secret if either one holds. TLS's "
        "X25519MLKEM768 pairs X25519 with ML-KEM-768 in one key share.",
    ),
    Term(
        "intermediate certificate",
        "A CA certificate between the root and the leaf. The server sends it along with its own "
        "certificate so that clients can complete the chain.",
        ("intermediate CA", "intermediate"),
    ),
    Term(
        "issuer",
        "The name of the CA that signed a certificate. A certificate's issuer must equal the "
        "subject of the certificate whose key verifies its signature.",
    ),
    Term(
        "key ceremony",
        "A scripted, witnessed and recorded event at which a CA brings its offline root key out "
        "of storage to sign, for example intermediate CA certificates or the root's CRL.",
        ("key ceremonies",),
    ),
    Term(
        "key log",
        "A file in which a TLS endpoint writes each connection's secrets, one per line, in the "
        "SSLKEYLOGFILE format that Wireshark reads (e.g. CLIENT_HANDSHAKE_TRAFFIC_SECRET, the "
        "client random, the secret). Whoever holds it can decrypt the recorded traffic.",
        ("SSLKEYLOGFILE",),
    ),
    Term(
        "key schedule",
        "How TLS 1.3 derives every key of a connection from the shared secret (RFC 8446 7.1): a "
        "fixed chain of HKDF steps through the early, handshake and master secrets to the traffic "
        "secrets, each bound to the transcript so far.",
    ),
    Term(
        "key share",
        "The ephemeral public value (for example an X25519 public key) each side sends in its "
        "hello; from the two shares both sides compute the same shared secret, which no one who "
        "only saw the shares can.",
    ),
    Term(
        "Key Usage",
        "The extension limiting the cryptographic operations a key may perform, such as "
        "digitalSignature or keyCertSign.",
    ),
    Term(
        "leaf certificate",
        "The certificate at the bottom of a chain, naming the server (or client) itself rather "
        "than a CA.",
        ("leaf", "end-entity certificate"),
    ),
    Term(
        "log monitor",
        "A program that reads every new entry of Certificate Transparency logs and reports the "
        "certificates for the names it watches; a domain owner's way of finding certificates "
        "issued for their domain.",
    ),
    Term(
        "Merkle tree",
        "A tree of hashes over a list of entries: each leaf hashes one entry, each node hashes "
        "its two children, and the root hash changes if any entry changes. Certificate "
        "Transparency logs are Merkle trees (RFC 6962 2.1).",
    ),
    Term(
        "ML-DSA",
        "Module-Lattice-Based Digital Signature Algorithm (FIPS 204): a post-quantum signature "
        "scheme, in sizes ML-DSA-44, -65 and -87. An ML-DSA-44 signature is 2,420 bytes, against "
        "about 71 for ECDSA P-256. RFC 9881 defines it for X.509 certificates.",
    ),
    Term(
        "ML-KEM",
        "Module-Lattice-Based Key-Encapsulation Mechanism (FIPS 203): a post-quantum way to agree "
        "on a secret. One side sends an encapsulation key, the other returns a ciphertext that "
        "wraps a fresh secret, which only the holder of the private key can unwrap.",
        ("ML-KEM-768",),
    ),
    Term(
        "mutual TLS",
        "TLS in which both sides present certificates: the server requests one, the client "
        "sends it and proves its key with its own CertificateVerify.",
        ("mTLS",),
    ),
    Term(
        "OCSP",
        "Online Certificate Status Protocol: a client asks the CA's responder whether one "
        "certificate is revoked and gets a signed, dated answer.",
    ),
    Term(
        "OCSP stapling",
        "The server fetches its own OCSP response and sends it in the handshake, so the client "
        "need not contact the CA.",
        ("stapling", "stapled"),
    ),
    Term(
        "OID",
        "An object identifier: a dotted string of numbers (2.5.29.17, 2.23.140.1.2.1) that "
        "names something in a certificate unambiguously: an extension, an algorithm, a policy, "
        "a name attribute.",
        ("object identifier",),
    ),
    Term(
        "PEM",
        "The text form of DER: base64 between -----BEGIN ...----- and -----END ...----- lines.",
    ),
    Term(
        "precertificate",
        "The certificate a CA means to issue plus a critical poison extension, submitted to "
        "Certificate Transparency logs before issuance; the poison makes every client refuse it, "
        "and the logs' SCTs for it go into the final certificate.",
    ),
    Term(
        "post-quantum cryptography",
        "Cryptography built on problems that no known quantum algorithm solves efficiently, such "
        "as ML-KEM and ML-DSA, to stay secure once large quantum computers exist.",
        ("post-quantum",),
    ),
    Term(
        "private key",
        "The secret half of a key pair. Whoever holds it can sign; it never appears in a "
        "certificate.",
    ),
    Term(
        "public key",
        "The half of a key pair that may be shared. A certificate carries it so that anyone can "
        "verify signatures made with the matching private key.",
    ),
    Term(
        "revocation",
        "Withdrawing a certificate before it expires, because its key was compromised or it was "
        "issued wrongly; published through CRLs and OCSP, and reaching browsers mostly through "
        "lists their vendors push to them.",
        ("revoked",),
    ),
    Term(
        "root certificate",
        "A self-signed CA certificate at the top of a chain. It is trusted because it is in a "
        "trust store, not because of its own signature.",
        ("root CA",),
    ),
    Term(
        "self-signed certificate",
        "A certificate whose issuer is its own subject and whose signature verifies with its own "
        "key. Roots are self-signed; any self-signed certificate is trusted only if the client "
        "holds it as a trust anchor.",
        ("self-signed",),
    ),
    Term(
        "Server Name Indication",
        "A ClientHello extension carrying the host name the client wants, so that a server with "
        "several sites can choose the certificate to send; the ClientHello is not encrypted.",
        ("SNI",),
    ),
    Term(
        "ServerKeyExchange",
        "The TLS 1.2 handshake message carrying the server's ephemeral key-exchange parameters, "
        "signed with its private key over both randoms and those parameters: TLS 1.2's "
        "signature two. TLS 1.3 has no such message.",
    ),
    Term(
        "signature",
        "A value only the holder of a private key can produce over some bytes, and anyone with "
        "the public key can check. The book follows two: the CA's over the certificate "
        "(signature one) and the server's over the handshake (signature two).",
    ),
    Term(
        "signed certificate timestamp",
        "SCT: a Certificate Transparency log's signed promise to publish a certificate (or "
        "precertificate) within its maximum merge delay: the log's ID, the time, and its "
        "signature. Browsers require SCTs from several logs.",
        ("SCT",),
    ),
    Term(
        "signed tree head",
        "A Certificate Transparency log's signature over the root hash of its Merkle tree, the "
        "tree's size and the time (STH): what inclusion and consistency proofs are checked "
        "against.",
        ("STH",),
    ),
    Term(
        "subject",
        "The name a certificate is about: the server or client for a leaf, the CA for a CA "
        "certificate.",
    ),
    Term(
        "Subject Alternative Name",
        "The extension listing the names a certificate is valid for: DNS names and IP addresses "
        "for TLS, and also e-mail addresses and URIs; the place clients match the host name.",
        ("SAN",),
    ),
    Term(
        "TLS",
        "Transport Layer Security, the protocol under HTTPS: a handshake that authenticates the "
        "server (optionally the client) and agrees keys, then encrypted records.",
        ("Transport Layer Security",),
    ),
    Term(
        "traffic secret",
        "In TLS 1.3, a secret derived in the key schedule for one direction and one phase of a "
        "connection (handshake or application data); the record keys and IVs are derived from "
        "it.",
    ),
    Term(
        "transcript hash",
        "The hash of every handshake message so far, in order. CertificateVerify and Finished "
        "sign or MAC it, which ties the proof to this one connection.",
        ("transcript",),
    ),
    Term(
        "trust anchor",
        "A certificate (or key and name) a client trusts without further proof, usually a root "
        "in its trust store. Every valid chain ends at one.",
    ),
    Term(
        "trust store",
        "The set of trust anchors a client is configured with, such as Mozilla's root program "
        "or the operating system's store.",
        ("truststore",),
    ),
    Term(
        "validation level",
        "How much a CA checked before signing a TLS certificate: domain control only (DV), also "
        "the organisation (OV), or the organisation's legal, physical and operational existence "
        "(EV). The certificate shows it in a policy OID and its subject; path validation "
        "ignores it.",
        ("DV", "OV", "EV"),
    ),
    Term(
        "validity period",
        "The notBefore and notAfter dates between which a certificate may be accepted.",
        ("notAfter", "notBefore"),
    ),
)
