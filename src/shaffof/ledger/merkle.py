"""Merkle trees as RFC 9162 (Certificate Transparency Version 2.0) §2.1 defines them.

Public API
----------
- :func:`leaf_hash` and :func:`node_hash` — the two hash functions, kept apart by a prefix byte (§2.1.1).
- :func:`root_hash` — MTH(D[n]) over leaves that are already hashed (§2.1.1).
- :func:`inclusion_path` — PATH(m, D[n]), the audit path of leaf ``m`` (§2.1.3.1).
- :func:`consistency_proof` — PROOF(m, D[n]) between two tree sizes (§2.1.4.1).
- :func:`tree_root` — MTH(D[n]) from stored subtree hashes.
- :func:`verify_inclusion` (§2.1.3.2) and :func:`verify_consistency` (§2.1.4.2) — return a truthy
  :class:`VerificationSuccess` or a falsy :class:`VerificationFailure` saying why.
- :class:`CompactRange` — the right edge of a growing tree: appends leaves and hands back every perfect
  subtree it completes, so a sequencer stores each node once and never rehashes old leaves.

How proofs stay cheap
---------------------
A *perfect subtree* ``(level, index)`` is the complete subtree over the leaves
``[index·2**level, (index+1)·2**level)``; level 0 is a leaf. Every hash that PATH and PROOF put into a
proof is MTH of a range ``D[a:b]`` of the tree's recursion, and such a range is either one perfect
subtree or the concatenation of O(log n) of them (the binary digits of ``b - a``, largest first, since
``a`` is always a multiple of the largest). So a proof needs O(log n) stored hashes, named in advance and
read in one batch from a :class:`NodeSource` — no subtree is ever recomputed from its leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

HASH_SIZE: Final = 32
LEAF_PREFIX: Final = b"\x00"  # RFC 9162 §2.1.1: leaf hashes ...
NODE_PREFIX: Final = b"\x01"  # ... and interior node hashes are domain-separated (second preimages)
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()  # MTH({}) = HASH()

NodeKey = tuple[int, int]
"""``(level, index)`` of a perfect subtree; level 0 is a leaf."""


# --------------------------------------------------------------------------- hashing (§2.1.1)


def leaf_hash(data: bytes) -> bytes:
    """MTH({d(0)}) = HASH(0x00 || d(0)): the hash of one leaf's data."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])): the hash of an interior node."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) for leaves given by their leaf hashes (an empty list gives the hash of the empty string)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    tree = CompactRange()
    tree.extend(leaf_hashes)
    return tree.root()


# --------------------------------------------------------------------------- proofs from stored subtrees


class MissingNode(LookupError):
    """A stored subtree hash that a proof needs is not there (the tree is smaller, or storage is damaged)."""


class NodeSource(Protocol):
    """Where proof generation reads perfect-subtree hashes (level 0: the leaf hashes)."""

    def hashes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        """The stored hash of each key; a key may be missing from the answer if it is not stored."""
        ...


def inclusion_path(index: int, size: int, nodes: NodeSource) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf ``index`` in the tree of ``size`` leaves,
    the leaf's neighbour first and the root's child last."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves")
    return _hash_ranges(_inclusion_ranges(index, size), nodes)


def consistency_proof(first: int, second: int, nodes: NodeSource) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 that the tree of ``first`` leaves is a prefix of the tree of
    ``second`` leaves. Empty when ``first`` is 0 or equals ``second`` (nothing to prove)."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from a tree of {first} leaves to one of {second}")
    if first in (0, second):
        return []
    return _hash_ranges(_consistency_ranges(first, second), nodes)


def tree_root(size: int, nodes: NodeSource) -> bytes:
    """MTH(D[size]) from stored subtree hashes (the tree's peaks)."""
    if size == 0:
        return EMPTY_ROOT
    return _hash_ranges([(0, size)], nodes)[0]


def subtree_keys(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees that make up ``D[start:end]``, left to right.

    ``start`` must be a multiple of the largest of them, as it is for every range of the RFC's recursion
    and for ``start = 0`` (then the subtrees are the peaks of a tree of ``end`` leaves)."""
    keys: list[NodeKey] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start & ((1 << level) - 1):
            raise ValueError(f"D[{start}:{end}] does not start on a subtree boundary")
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def _split(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1), where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH form PATH(index, D[size]), in the RFC's order (deepest first)."""
    ranges: list[tuple[int, int]] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:  # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
            ranges.append((start + k, end))
            end = start + k
        else:  # PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
            ranges.append((start, start + k))
            start, m = start + k, m - k
    ranges.reverse()
    return ranges


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH form PROOF(first, D[second]) = SUBPROOF(first, D[second], true)."""
    ranges: list[tuple[int, int]] = []
    start, end, m, whole_subtree = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            # SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
            if not whole_subtree:
                ranges.append((start, end))
            break
        k = _split(n)
        if m <= k:  # SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            ranges.append((start + k, end))
            end = start + k
        else:  # SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            ranges.append((start, start + k))
            start, m, whole_subtree = start + k, m - k, False
    ranges.reverse()
    return ranges


def _hash_ranges(ranges: Sequence[tuple[int, int]], nodes: NodeSource) -> list[bytes]:
    pieces = [subtree_keys(start, end) for start, end in ranges]
    wanted = {key for piece in pieces for key in piece}
    found = nodes.hashes(wanted)
    missing = wanted - found.keys()
    if missing:
        level, index = min(missing)
        raise MissingNode(f"the stored tree has no subtree hash at level {level}, index {index}")
    return [_fold(piece, found) for piece in pieces]


def _fold(keys: Sequence[NodeKey], hashes: Mapping[NodeKey, bytes]) -> bytes:
    """MTH of consecutive perfect subtrees, largest first: they join from the right (RFC 9162 trees lean left)."""
    result = hashes[keys[-1]]
    for key in reversed(keys[:-1]):
        result = node_hash(hashes[key], result)
    return result


# --------------------------------------------------------------------------- verification (§2.1.3.2, §2.1.4.2)


@dataclass(frozen=True)
class VerificationSuccess:
    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True)
class VerificationFailure:
    reason: str

    def __bool__(self) -> bool:
        return False


Verification = VerificationSuccess | VerificationFailure


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> VerificationSuccess | VerificationFailure:
    """RFC 9162 §2.1.3.2: does ``path`` prove that the leaf hash ``leaf`` is leaf ``index`` of the tree of
    ``size`` leaves whose root is ``root``?"""
    if not 0 <= index < size:
        return VerificationFailure(f"leaf index {index} is not in a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return VerificationFailure("the audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        return VerificationFailure("the audit path is shorter than the tree is deep")
    if r != root:
        return VerificationFailure("the audit path leads to a different root hash")
    return VerificationSuccess()


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> VerificationSuccess | VerificationFailure:
    """RFC 9162 §2.1.4.2: does ``proof`` show that the tree of ``first`` leaves (root ``first_root``) is a
    prefix of the tree of ``second`` leaves (root ``second_root``)?

    The RFC's algorithm covers ``0 < first < second``. For the edges we follow the convention of
    Certificate Transparency monitors: equal sizes need equal roots and an empty proof, and the empty tree
    is a prefix of every tree (empty proof)."""
    if not 0 <= first <= second:
        return VerificationFailure(f"a tree of {first} leaves cannot be a prefix of one of {second}")
    if first == second:
        if proof:
            return VerificationFailure("trees of equal size need an empty consistency proof")
        if first_root != second_root:
            return VerificationFailure("two trees of the same size have different root hashes")
        return VerificationSuccess()
    if first == 0:
        return VerificationSuccess() if not proof else VerificationFailure("the empty tree needs an empty proof")
    if not proof:
        return VerificationFailure("the consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:  # first is an exact power of two
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return VerificationFailure("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        return VerificationFailure("the consistency proof is shorter than the tree is deep")
    if fr != first_root:
        return VerificationFailure("the proof does not lead to the first tree's root hash")
    if sr != second_root:
        return VerificationFailure("the proof does not lead to the second tree's root hash")
    return VerificationSuccess()


# --------------------------------------------------------------------------- appending


class CompactRange:
    """The right edge of a tree of ``size`` leaves: the hashes of its peaks, largest first.

    Appending leaf ``i`` merges it with the peaks to its left for as long as the merged subtree is
    complete (the trailing one-bits of ``i``), so every perfect subtree is hashed exactly once, when its
    last leaf arrives — the same order in which a sequencer stores them.
    """

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if len(peaks) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} peaks, not {len(peaks)}")
        self.size = size
        self._peaks = list(peaks)

    @property
    def peaks(self) -> list[bytes]:
        return list(self._peaks)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; the perfect subtrees above level 0 it completes, as ``(level, index, hash)``."""
        made: list[tuple[int, int, bytes]] = []
        index, level, value = self.size, 0, leaf
        peaks = self._peaks
        while index & 1:
            value = node_hash(peaks.pop(), value)
            index, level = index >> 1, level + 1
            made.append((level, index, value))
        peaks.append(value)
        self.size += 1
        return made

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[int, int, bytes]]:
        """Add leaf hashes in order; every completed subtree above level 0, in completion order."""
        sha256 = hashlib.sha256
        prefix = NODE_PREFIX
        peaks = self._peaks
        made: list[tuple[int, int, bytes]] = []
        size = self.size
        for leaf in leaves:
            index, level, value = size, 0, leaf
            while index & 1:
                value = sha256(prefix + peaks.pop() + value).digest()
                index, level = index >> 1, level + 1
                made.append((level, index, value))
            peaks.append(value)
            size += 1
        self.size = size
        return made

    def root(self) -> bytes:
        """MTH of the tree so far."""
        if not self._peaks:
            return EMPTY_ROOT
        result = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            result = node_hash(peak, result)
        return result


def perfect_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every perfect subtree over ``leaves`` (taken as starting at an aligned position), level by level:
    ``levels[j][i]`` covers ``leaves[i·2**j : (i+1)·2**j]``."""
    sha256 = hashlib.sha256
    prefix = NODE_PREFIX
    levels = [list(leaves)]
    current = levels[0]
    while len(current) > 1:
        current = [sha256(prefix + current[i] + current[i + 1]).digest() for i in range(0, len(current) - 1, 2)]
        levels.append(current)
    return levels


__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "CompactRange",
    "MissingNode",
    "NodeKey",
    "NodeSource",
    "Verification",
    "VerificationFailure",
    "VerificationSuccess",
    "consistency_proof",
    "inclusion_path",
    "leaf_hash",
    "node_hash",
    "perfect_levels",
    "root_hash",
    "subtree_keys",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]
