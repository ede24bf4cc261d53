"""RFC 6962 Merkle log core (pkiviz.ct): proofs for every tree size 1..1000 against an
independent level-by-level computation, known-answer vectors, planted bad proofs with
their controls, and the signed tree head."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from pkiviz.ct import (
    EMPTY_ROOT,
    Log,
    consistency_proof,
    inclusion_path,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
    verify_tree_head,
)
from pkiviz.ct.log import tree_head_signature_input

MAX_SIZE = 1000
ALL_UP_TO = 64
AT = dt.datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=dt.UTC)

# --- an independent model: the tree built level by level, an odd last node promoted ------------


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """levels[L][j] covers leaves j*2^L .. min((j+1)*2^L, n) - 1."""
    out = [list(leaves)]
    while len(out[-1]) > 1:
        cur = out[-1]
        nxt = [_sha(b"\x01" + cur[i] + cur[i + 1]) for i in range(0, len(cur) - 1, 2)]
        if len(cur) % 2:
            nxt.append(cur[-1])
        out.append(nxt)
    return out


def _siblings(levels: list[list[bytes]], level: int, index: int) -> list[bytes]:
    """The hashes next to node (level, index) on its way up to the root."""
    out = []
    for row in levels[level:-1]:
        if index ^ 1 < len(row):
            out.append(row[index ^ 1])
        index >>= 1
    return out


def _model_consistency(levels: list[list[bytes]], m: int) -> list[bytes]:
    """The largest perfect subtree ending at leaf m (unless it is the whole old tree),
    then that node's siblings up to the new root."""
    if m == len(levels[0]):
        return []
    level = (m & -m).bit_length() - 1
    index = (m - 1) >> level
    head = [levels[level][index]] if index != 0 else []
    return head + _siblings(levels, level, index)


def _entries(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") + b"entry" for i in range(n)]


ENTRIES = _entries(MAX_SIZE)
LEAVES = [_sha(b"\x00" + e) for e in ENTRIES]


@pytest.fixture(scope="module")
def log() -> Log:
    built = Log("pkiviz test ct log")
    for entry in ENTRIES:
        built.append(entry)
    return built


def _sample(n: int, upper: int, lower: int = 0) -> set[int]:
    """Every value in lower..upper-1 for small trees; edges, a power of two and randoms else."""
    if n <= ALL_UP_TO:
        return set(range(lower, upper))
    rng = random.Random(n)
    pow2 = 1 << ((n - 1).bit_length() - 1)
    picks = {lower, lower + 1, n // 2, pow2 - 1, pow2, pow2 + 1, upper - 2, upper - 1}
    picks |= {rng.randrange(lower, upper) for _ in range(12)}
    return {p for p in picks if lower <= p < upper}


def test_every_tree_size_up_to_1000_matches_the_level_model(log: Log) -> None:
    checked_inclusion = checked_consistency = 0
    roots = {}
    for n in range(1, MAX_SIZE + 1):
        levels = _levels(LEAVES[:n])
        root = levels[-1][0]
        roots[n] = root
        assert log.root_hash(n) == root
        if n <= ALL_UP_TO or n % 97 == 0:
            assert root_hash(LEAVES[:n]) == root  # the stateless function, fresh each time
        for i in _sample(n, n):
            proof = log.inclusion_proof(i, n)
            assert list(proof.path) == _siblings(levels, 0, i), (n, i)
            assert proof.verify(root), (n, i)
            checked_inclusion += 1
        for m in _sample(n, n + 1, lower=1):
            cproof = log.consistency_proof(m, n)
            assert list(cproof.proof) == _model_consistency(levels, m), (m, n)
            assert cproof.verify(roots[m], root), (m, n)
            checked_consistency += 1
    # every leaf of every tree up to 64 (2080) and every old size (2080), plus samples above
    assert checked_inclusion > 2080 + 5 * (MAX_SIZE - ALL_UP_TO)
    assert checked_consistency > 2080 + 5 * (MAX_SIZE - ALL_UP_TO)


def test_stateless_functions_agree_with_the_log(log: Log) -> None:
    for n in (1, 2, 7, 64, 65, 333):
        for i in _sample(n, n):
            assert inclusion_path(i, LEAVES[:n]) == log.inclusion_proof(i, n).path
        for m in _sample(n, n + 1, lower=1):
            assert consistency_proof(m, LEAVES[:n]) == log.consistency_proof(m, n).proof


# --- known answers: transparency-dev/merkle testonly/constants.go and its proof tests ---------

KAT_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
KAT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Every perfect subtree, by level then position.
KAT_NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
NH = [[bytes.fromhex(h) for h in row] for row in KAT_NODES]
KAT_INCLUSION = {(0, 8): [NH[0][1], NH[1][1], NH[2][1]], (5, 8): [NH[0][4], NH[1][3], NH[2][0]]}
KAT_CONSISTENCY = {
    (1, 8): [NH[0][1], NH[1][1], NH[2][1]],
    (6, 8): [NH[1][2], NH[1][3], NH[2][0]],
    (2, 5): [NH[1][1], NH[0][4]],
}


def test_known_answer_roots_nodes_and_proofs() -> None:
    leaves = [leaf_hash(e) for e in KAT_INPUTS]
    assert (
        root_hash([])
        == EMPTY_ROOT
        == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )
    assert [root_hash(leaves[:n]).hex() for n in range(1, 9)] == KAT_ROOTS
    for level, row in enumerate(NH):
        width = 1 << level
        for j, expected in enumerate(row):
            assert root_hash(leaves[j * width : (j + 1) * width]) == expected
    for (i, n), path in KAT_INCLUSION.items():
        assert list(inclusion_path(i, leaves[:n])) == path
    for (m, n), proof in KAT_CONSISTENCY.items():
        assert list(consistency_proof(m, leaves[:n])) == proof
    assert consistency_proof(1, leaves[:1]) == ()
    assert inclusion_path(0, leaves[:1]) == ()


def test_a_different_leaf_gives_a_different_root_control_same_leaf_same_root() -> None:
    leaves = [leaf_hash(e) for e in KAT_INPUTS]
    assert root_hash(leaves).hex() == KAT_ROOTS[-1]
    changed = [*leaves[:3], leaf_hash(b"\x20\x22"), *leaves[4:]]
    assert root_hash(changed).hex() != KAT_ROOTS[-1]
    # a leaf is hashed with 0x00 and a node with 0x01: raw SHA-256 of the entry is not the leaf
    assert leaf_hash(b"") != EMPTY_ROOT


# --- planted wrong proofs, each beside the control that passes -------------------------------


def _flip(h: bytes, at: int = 0) -> bytes:
    return h[:at] + bytes([h[at] ^ 0x01]) + h[at + 1 :]


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 64, 100, 1000])
def test_planted_bad_inclusion_proofs_are_rejected(log: Log, n: int) -> None:
    root = log.root_hash(n)
    for i in {0, n // 3, n - 1}:
        proof = log.inclusion_proof(i, n)
        leaf, path = proof.leaf_hash, proof.path
        assert verify_inclusion(leaf, i, n, path, root)  # control
        for k in range(len(path)):  # a flipped byte anywhere in the path
            for at in (0, 31):
                bad = (*path[:k], _flip(path[k], at), *path[k + 1 :])
                assert not verify_inclusion(leaf, i, n, bad, root)
        assert not verify_inclusion(_flip(leaf), i, n, path, root)  # another leaf
        assert not verify_inclusion(leaf, i, n, path, _flip(root, 17))  # another root
        for j in {(i + 1) % n, i ^ 1} - {i}:  # a wrong index
            if j < n:
                assert not verify_inclusion(leaf, j, n, path, root)
        assert not verify_inclusion(leaf, i, n, path[:-1], root)  # truncated
        if path:
            assert "too short" in verify_inclusion(leaf, i, n, path[:-1], root).reason
        assert "longer" in verify_inclusion(leaf, i, n, (*path, root), root).reason
        assert not verify_inclusion(leaf, i, n, (*path, root), root)  # extended
        assert not verify_inclusion(leaf, i, n, (*path, EMPTY_ROOT), root)
        short = (*path[:-1], path[-1][:31]) if path else (b"\x00" * 31,)
        check = verify_inclusion(leaf, i, n, short, root)  # not a hash: False, no exception
        assert not check and "32-byte" in check.reason
        if n > 2 and i < n - 1:  # the path of the same leaf in the tree one smaller
            other = log.inclusion_proof(i, n - 1).path
            if other != path:
                assert not verify_inclusion(leaf, i, n, other, root)
                assert verify_inclusion(leaf, i, n - 1, other, log.root_hash(n - 1))  # control


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 64, 100, 1000])
def test_planted_bad_consistency_proofs_are_rejected(log: Log, n: int) -> None:
    new = log.root_hash(n)
    for m in sorted({1, n // 2, n - 1} - {0}):
        old = log.root_hash(m)
        proof = log.consistency_proof(m, n).proof
        assert verify_consistency(m, n, old, new, proof)  # control
        for k in range(len(proof)):  # a flipped byte anywhere in the proof
            bad = (*proof[:k], _flip(proof[k], k % 32), *proof[k + 1 :])
            assert not verify_consistency(m, n, old, new, bad)
        assert not verify_consistency(m, n, _flip(old), new, proof)
        assert not verify_consistency(m, n, old, _flip(new), proof)
        assert not verify_consistency(m, n, old, new, proof[:-1])  # truncated
        expected = "too short" if len(proof) > 1 else "empty"
        assert expected in verify_consistency(m, n, old, new, proof[:-1]).reason
        assert "longer" in verify_consistency(m, n, old, new, (*proof, new)).reason
        assert not verify_consistency(m, n, old, new, (*proof, new))  # extended
        for m2 in {m - 1, m + 1} - {0, m, n}:  # the proof claimed for another old size
            assert not verify_consistency(m2, n, log.root_hash(m2), new, proof)
        if n + 1 <= MAX_SIZE:  # a proof for another new size
            other = log.consistency_proof(m, n + 1).proof
            assert not verify_consistency(m, n, old, new, other)
            assert verify_consistency(m, n + 1, old, log.root_hash(n + 1), other)  # control
    assert verify_consistency(n, n, new, new, ())  # control: equal sizes
    assert not verify_consistency(n, n, new, _flip(new), ())
    assert not verify_consistency(n, n, new, new, (new,))


def test_every_single_byte_flip_is_rejected_in_small_trees(log: Log) -> None:
    for n in range(1, 33):
        root = log.root_hash(n)
        for i in range(n):
            path = log.inclusion_proof(i, n).path
            assert verify_inclusion(LEAVES[i], i, n, path, root)
            for k in range(len(path)):
                bad = (*path[:k], _flip(path[k], (i + k) % 32), *path[k + 1 :])
                assert not verify_inclusion(LEAVES[i], i, n, bad, root)
        for m in range(1, n):
            proof = log.consistency_proof(m, n).proof
            assert verify_consistency(m, n, log.root_hash(m), root, proof)
            for k in range(len(proof)):
                bad = (*proof[:k], _flip(proof[k], (m + k) % 32), *proof[k + 1 :])
                assert not verify_consistency(m, n, log.root_hash(m), root, bad)


def test_impossible_arguments_raise_and_in_range_ones_do_not(log: Log) -> None:
    root = log.root_hash(8)
    path = log.inclusion_proof(7, 8).path
    assert verify_inclusion(LEAVES[7], 7, 8, path, root)  # control: last index
    for index in (8, -1):
        with pytest.raises(ValueError):
            verify_inclusion(LEAVES[7], index, 8, path, root)
        with pytest.raises(ValueError):
            log.inclusion_proof(index, 8)
    with pytest.raises(ValueError):
        inclusion_path(0, [])
    assert verify_consistency(8, 8, root, root, ())  # control: m == n
    with pytest.raises(ValueError):
        verify_consistency(9, 8, root, root, ())
    with pytest.raises(ValueError):
        verify_consistency(0, 8, EMPTY_ROOT, root, ())
    with pytest.raises(ValueError):
        log.consistency_proof(9, 8)
    with pytest.raises(ValueError):
        consistency_proof(0, LEAVES[:8])
    with pytest.raises(ValueError):
        log.root_hash(MAX_SIZE + 1)
    with pytest.raises(ValueError):
        root_hash([b"short"])


# --- the signed tree head ----------------------------------------------------------------------


def test_tree_head_signature_structure_and_signature(log: Log) -> None:
    sth = log.sign_tree_head(at=AT, tree_size=500)
    ms = 1772366400250
    assert sth.timestamp == ms
    assert sth.tree_size == 500
    assert sth.root_hash == log.root_hash(500)
    expected = b"\x00\x01" + struct.pack(">QQ", ms, 500) + sth.root_hash
    assert sth.signed_data == expected == tree_head_signature_input(ms, 500, sth.root_hash)
    assert len(sth.signed_data) == 50
    assert sth.digitally_signed[:2] == b"\x04\x03"
    assert int.from_bytes(sth.digitally_signed[2:4], "big") == len(sth.signature)
    assert isinstance(log.public_key, ec.EllipticCurvePublicKey)
    assert isinstance(log.public_key.curve, ec.SECP256R1)
    assert verify_tree_head(sth, log.public_key)  # control
    assert log.sign_tree_head(at=AT, tree_size=500) == sth  # RFC 6979: same bytes again


def test_a_changed_tree_head_fails_its_signature(log: Log) -> None:
    from dataclasses import replace

    sth = log.sign_tree_head(at=AT)
    assert verify_tree_head(sth, log.public_key)  # control
    assert not verify_tree_head(replace(sth, root_hash=_flip(sth.root_hash)), log.public_key)
    assert not verify_tree_head(replace(sth, tree_size=sth.tree_size - 1), log.public_key)
    assert not verify_tree_head(replace(sth, timestamp=sth.timestamp + 1), log.public_key)
    assert not verify_tree_head(replace(sth, signature=sth.signature[:-1]), log.public_key)
    assert not verify_tree_head(replace(sth, root_hash=b"short"), log.public_key)
    assert not verify_tree_head(sth, Log("another log").public_key)


def test_time_is_injected_and_must_be_aware() -> None:
    small = Log("pkiviz test ct log")
    assert small.root_hash() == EMPTY_ROOT
    assert small.sign_tree_head(at=AT).tree_size == 0
    with pytest.raises(ValueError):
        small.sign_tree_head(at=AT.replace(tzinfo=None))
    with pytest.raises(TypeError):
        small.append("text")  # type: ignore[arg-type]
    assert small.append(b"x") == 0
