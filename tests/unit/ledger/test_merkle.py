"""RFC 9162 Merkle trees: the code under test against the independent reference in tests/unit/ledger/rfc9162.py."""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shaffof.ledger import merkle
from tests.unit.ledger import rfc9162

SIZES = range(1, 41)


class Subtrees:
    """Every perfect subtree of a list of leaf hashes, computed by the reference (a NodeSource)."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves
        self.store: dict[merkle.NodeKey, bytes] = {}
        level, width = 0, 1
        while width <= len(leaves):
            for index in range(len(leaves) // width):
                self.store[(level, index)] = rfc9162.mth(leaves[index * width : (index + 1) * width])
            level, width = level + 1, width * 2
        self.reads: list[int] = []

    def hashes(self, keys: Collection[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        self.reads.append(len(keys))
        return {key: self.store[key] for key in keys if key in self.store}


def leaves_of(n: int, seed: int = 0) -> list[bytes]:
    return [rfc9162.hash_leaf(f"entry {seed}/{i}".encode()) for i in range(n)]


def flipped(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


# --------------------------------------------------------------------------- hashing


def test_leaf_and_node_hashes_are_domain_separated_as_rfc_9162_says() -> None:
    assert merkle.leaf_hash(b"abc") == rfc9162.sha256(b"\x00abc")
    assert merkle.node_hash(b"L" * 32, b"R" * 32) == rfc9162.sha256(b"\x01" + b"L" * 32 + b"R" * 32)
    # A leaf whose data is two hashes is not the node over them (second-preimage resistance).
    left, right = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.leaf_hash(left + right) != merkle.node_hash(left, right)


def test_the_empty_tree_is_the_hash_of_the_empty_string() -> None:
    assert merkle.root_hash([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# The test vectors of Certificate Transparency's reference implementation (RFC 6962 hashing, which RFC 9162
# keeps): eight inputs and the root of every prefix.
CT_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_certificate_transparency_test_vectors(size: int) -> None:
    leaves = [merkle.leaf_hash(entry) for entry in CT_INPUTS[:size]]
    assert merkle.root_hash(leaves).hex() == CT_ROOTS[size - 1]
    assert rfc9162.mth(leaves).hex() == CT_ROOTS[size - 1]  # the reference agrees, so it is a fair judge


# --------------------------------------------------------------------------- proofs, all sizes 1..40


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_paths_are_rfc_path_and_verify_for_every_leaf(size: int) -> None:
    leaves = leaves_of(size)
    root = rfc9162.mth(leaves)
    nodes = Subtrees(leaves)
    assert merkle.tree_root(size, nodes) == root
    for index in range(size):
        audit_path = merkle.inclusion_path(index, size, nodes)
        assert audit_path == rfc9162.path(index, leaves)
        assert rfc9162.verify_inclusion(leaves[index], index, size, audit_path, root)
        assert merkle.verify_inclusion(leaves[index], index, size, audit_path, root)


@pytest.mark.parametrize("second", SIZES)
def test_consistency_proofs_are_rfc_proof_and_verify_for_every_earlier_size(second: int) -> None:
    leaves = leaves_of(second)
    second_root = rfc9162.mth(leaves)
    nodes = Subtrees(leaves)
    for first in range(1, second):
        first_root = rfc9162.mth(leaves[:first])
        consistency = merkle.consistency_proof(first, second, nodes)
        assert consistency == rfc9162.proof(first, leaves)
        assert rfc9162.verify_consistency(first, second, first_root, second_root, consistency)
        assert merkle.verify_consistency(first, second, first_root, second_root, consistency)
    # Equal sizes and the empty first tree: an empty proof (the edges the RFC's algorithm leaves out).
    assert merkle.consistency_proof(second, second, nodes) == []
    assert merkle.verify_consistency(second, second, second_root, second_root, [])
    assert not merkle.verify_consistency(second, second, second_root, flipped(second_root), [])
    assert merkle.verify_consistency(0, second, merkle.EMPTY_ROOT, second_root, [])


@pytest.mark.parametrize("size", SIZES)
def test_every_altered_inclusion_proof_is_refused_by_both_verifiers(size: int) -> None:
    leaves = leaves_of(size, seed=1)
    root = rfc9162.mth(leaves)
    nodes = Subtrees(leaves)
    for index in range(size):
        audit_path = merkle.inclusion_path(index, size, nodes)
        attempts: list[tuple[bytes, int, int, list[bytes], bytes]] = [
            (flipped(leaves[index]), index, size, audit_path, root),
            (leaves[index], index, size, audit_path, flipped(root)),
            (leaves[index], index, size, [*audit_path, root], root),
            (leaves[index], size, size, audit_path, root),
        ]
        if audit_path:
            attempts.append((leaves[index], index, size, audit_path[:-1], root))
            for position in range(len(audit_path)):
                changed = list(audit_path)
                changed[position] = flipped(changed[position])
                attempts.append((leaves[index], index, size, changed, root))
        if size > 1:
            other = (index + 1) % size
            attempts.append((leaves[index], other, size, audit_path, root))
        for attempt in attempts:
            assert not rfc9162.verify_inclusion(*attempt), attempt[1:3]
            assert not merkle.verify_inclusion(*attempt), attempt[1:3]


@pytest.mark.parametrize("second", SIZES)
def test_every_altered_consistency_proof_is_refused_by_both_verifiers(second: int) -> None:
    leaves = leaves_of(second, seed=2)
    second_root = rfc9162.mth(leaves)
    nodes = Subtrees(leaves)
    for first in range(1, second):
        first_root = rfc9162.mth(leaves[:first])
        consistency = merkle.consistency_proof(first, second, nodes)
        attempts: list[tuple[int, int, bytes, bytes, list[bytes]]] = [
            (first, second, flipped(first_root), second_root, consistency),
            (first, second, first_root, flipped(second_root), consistency),
            (first, second, first_root, second_root, consistency[:-1]),
            (first, second, first_root, second_root, [*consistency, second_root]),
        ]
        for position in range(len(consistency)):
            changed = list(consistency)
            changed[position] = flipped(changed[position])
            attempts.append((first, second, first_root, second_root, changed))
        for attempt in attempts:
            assert not rfc9162.verify_consistency(*attempt), attempt[:2]
            assert not merkle.verify_consistency(*attempt), attempt[:2]


# --------------------------------------------------------------------------- larger trees


@pytest.mark.parametrize("size", [255, 256, 257, 1000, 1023, 1024, 1025, 3001])
def test_random_proofs_in_larger_trees(size: int) -> None:
    rng = random.Random(size)
    leaves = leaves_of(size, seed=3)
    nodes = Subtrees(leaves)
    root = merkle.tree_root(size, nodes)
    assert root == merkle.root_hash(leaves) == rfc9162.mth(leaves)
    for index in rng.sample(range(size), 25):
        audit_path = merkle.inclusion_path(index, size, nodes)
        assert rfc9162.verify_inclusion(leaves[index], index, size, audit_path, root)
    for first in rng.sample(range(1, size), 25):
        consistency = merkle.consistency_proof(first, size, nodes)
        assert rfc9162.verify_consistency(first, size, rfc9162.mth(leaves[:first]), root, consistency)


def test_a_proof_reads_its_stored_subtrees_once_and_only_logarithmically_many() -> None:
    size = 3001
    nodes = Subtrees(leaves_of(size, seed=4))
    for index in (0, 1500, 2047, 2048, 3000):
        nodes.reads.clear()
        merkle.inclusion_path(index, size, nodes)
        assert len(nodes.reads) == 1  # one batched read per proof
        assert nodes.reads[0] <= 2 * size.bit_length()
    nodes.reads.clear()
    merkle.consistency_proof(1234, size, nodes)
    assert len(nodes.reads) == 1 and nodes.reads[0] <= 2 * size.bit_length()


def test_a_missing_stored_subtree_is_named() -> None:
    nodes = Subtrees(leaves_of(8))
    del nodes.store[(1, 1)]
    with pytest.raises(merkle.MissingNode, match="level 1, index 1"):
        merkle.inclusion_path(0, 8, nodes)


def test_proofs_for_impossible_positions_are_refused() -> None:
    nodes = Subtrees(leaves_of(4))
    with pytest.raises(ValueError, match="not in a tree of 4"):
        merkle.inclusion_path(4, 4, nodes)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_proof(5, 4, nodes)
    assert not merkle.verify_consistency(5, 4, b"", b"", [])
    verdict = merkle.verify_inclusion(b"x" * 32, 7, 4, [], b"x" * 32)
    assert isinstance(verdict, merkle.VerificationFailure) and "not in a tree of 4" in verdict.reason


# --------------------------------------------------------------------------- appending


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 31, 32, 33, 100])
def test_compact_range_stores_exactly_the_perfect_subtrees_once(size: int) -> None:
    leaves = leaves_of(size, seed=5)
    tree = merkle.CompactRange()
    made = tree.extend(leaves[: size // 2])
    for leaf in leaves[size // 2 :]:
        made += tree.append(leaf)
    expected = {key: value for key, value in Subtrees(leaves).store.items() if key[0] > 0}
    assert {(level, index): value for level, index, value in made} == expected
    assert len(made) == len(expected)
    assert tree.root() == rfc9162.mth(leaves)
    assert len(tree.peaks) == size.bit_count()
    # Resuming from the stored peaks gives the same tree.
    resumed = merkle.CompactRange(size, tree.peaks)
    extra = rfc9162.hash_leaf(b"one more")
    resumed.append(extra)
    assert resumed.root() == rfc9162.mth([*leaves, extra])


def test_compact_range_refuses_peaks_that_do_not_fit_the_size() -> None:
    with pytest.raises(ValueError, match="has 2 peaks"):
        merkle.CompactRange(3, [b"x" * 32])


def test_perfect_levels_hold_every_complete_subtree() -> None:
    leaves = leaves_of(13, seed=6)
    levels = merkle.perfect_levels(leaves)
    store = Subtrees(leaves).store
    assert [len(level) for level in levels] == [13, 6, 3, 1]
    for level, hashes in enumerate(levels):
        for index, value in enumerate(hashes):
            assert store[(level, index)] == value


def test_subtree_keys_decompose_aligned_ranges_and_refuse_others() -> None:
    assert merkle.subtree_keys(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert merkle.subtree_keys(8, 13) == [(2, 2), (0, 12)]
    with pytest.raises(ValueError, match="subtree boundary"):
        merkle.subtree_keys(3, 9)


# --------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=12), min_size=1, max_size=80), st.data())
def test_any_tree_proves_any_leaf_and_any_prefix(entries: list[bytes], data: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(entry) for entry in entries]
    size = len(leaves)
    nodes = Subtrees(leaves)
    root = merkle.root_hash(leaves)
    assert root == rfc9162.mth(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    audit_path = merkle.inclusion_path(index, size, nodes)
    assert rfc9162.verify_inclusion(leaves[index], index, size, audit_path, root)
    first = data.draw(st.integers(1, size), label="first")
    consistency = merkle.consistency_proof(first, size, nodes)
    first_root = rfc9162.mth(leaves[:first])
    assert merkle.verify_consistency(first, size, first_root, root, consistency)
    if first < size:
        assert rfc9162.verify_consistency(first, size, first_root, root, consistency)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 300),
    st.data(),
    st.lists(st.binary(min_size=32, max_size=32), max_size=12),
)
def test_no_forged_path_proves_a_leaf_that_is_not_there(size: int, data: st.DataObject, forged: list[bytes]) -> None:
    leaves = leaves_of(size, seed=7)
    root = merkle.root_hash(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    stranger = rfc9162.hash_leaf(b"never appended")
    assert not merkle.verify_inclusion(stranger, index, size, forged, root)
    assert not rfc9162.verify_inclusion(stranger, index, size, forged, root)
