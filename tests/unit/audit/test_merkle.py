"""RFC 6962 Merkle trees: the accumulator, inclusion and consistency proofs, known answers."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dignity.audit import merkle
from dignity.audit.merkle import (
    MerkleAccumulator,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

# Leaves are the entries' chain hashes in the log; the tree takes any bytes, so test with any.
LEAF = st.binary(min_size=0, max_size=40)


def _leaf_lists(min_size: int) -> st.SearchStrategy[list[bytes]]:
    # Draw the size first: plain `st.lists` mostly makes short lists, and the shapes of larger
    # (ragged) trees are the ones worth covering.
    return st.integers(min_value=min_size, max_value=200).flatmap(
        lambda n: st.lists(LEAF, min_size=n, max_size=n)
    )


LEAVES = _leaf_lists(0)
NONEMPTY_LEAVES = _leaf_lists(1)
# Checking every index costs O(n^2) hashes per tree: these are mostly small, sometimes up to 200.
# `test_every_tree_shape_up_to_64` covers every size and index exhaustively.
SMALLER_NONEMPTY_LEAVES = st.lists(LEAF, min_size=1, max_size=200)
PROPERTY = settings(max_examples=100, deadline=None)


def _flip(digest: bytes, bit: int = 0) -> bytes:
    """The same bytes with one bit inverted."""
    return bytes([digest[0] ^ (1 << bit), *digest[1:]])


@st.composite
def tree_and_prefix(draw: st.DrawFn) -> tuple[list[bytes], int]:
    leaves = draw(NONEMPTY_LEAVES)
    return leaves, draw(st.integers(min_value=1, max_value=len(leaves)))


# --- known answers --------------------------------------------------------------------------

# The Certificate Transparency reference tree (RFC 6962 test data, as used by Trillian and the
# CT Go and C++ code): eight leaves and the root of every prefix.
CT_LEAVES = [
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
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert merkle.root([]) == hashlib.sha256(b"").digest()
    assert MerkleAccumulator().root() == hashlib.sha256(b"").digest()
    assert merkle.root([]).hex() == CT_ROOTS[0]


@pytest.mark.parametrize("leaf", [b"", b"\x00", b"x" * 32, bytes(range(256))], ids=len)
def test_single_leaf_root_is_the_prefixed_leaf_hash(leaf: bytes) -> None:
    expected = hashlib.sha256(b"\x00" + leaf).digest()
    accumulator = MerkleAccumulator()
    accumulator.append(leaf)
    assert (merkle.root([leaf]), accumulator.root()) == (expected, expected)


def test_interior_nodes_are_prefixed_with_one() -> None:
    left, right = hashlib.sha256(b"\x00a").digest(), hashlib.sha256(b"\x00b").digest()
    assert merkle.root([b"a", b"b"]) == hashlib.sha256(b"\x01" + left + right).digest()


@pytest.mark.parametrize("size", range(len(CT_ROOTS)))
def test_roots_match_the_certificate_transparency_reference(size: int) -> None:
    accumulator = MerkleAccumulator()
    for leaf in CT_LEAVES[:size]:
        accumulator.append(leaf)
    assert (merkle.root(CT_LEAVES[:size]).hex(), accumulator.root().hex()) == (
        CT_ROOTS[size],
        CT_ROOTS[size],
    )


@pytest.mark.parametrize(
    ("index", "proof"),
    [
        (
            0,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ],
)
def test_inclusion_proofs_match_the_reference(index: int, proof: list[str]) -> None:
    assert [p.hex() for p in inclusion_proof(index, CT_LEAVES)] == proof
    expected_root = bytes.fromhex(CT_ROOTS[8])
    assert verify_inclusion(
        index, 8, CT_LEAVES[index], [bytes.fromhex(p) for p in proof], expected_root
    )


@pytest.mark.parametrize(
    ("first", "proof"),
    [
        (
            2,
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (8, []),
    ],
)
def test_consistency_proofs_match_the_reference(first: int, proof: list[str]) -> None:
    assert [p.hex() for p in consistency_proof(first, CT_LEAVES)] == proof
    assert verify_consistency(
        first,
        8,
        bytes.fromhex(CT_ROOTS[first]),
        bytes.fromhex(CT_ROOTS[8]),
        [bytes.fromhex(p) for p in proof],
    )


# --- the accumulator --------------------------------------------------------------------------


@PROPERTY
@given(LEAVES, st.data())
def test_accumulator_root_equals_the_recursive_root(
    leaves: list[bytes], data: st.DataObject
) -> None:
    midway = data.draw(st.integers(min_value=0, max_value=len(leaves)), label="midway")
    accumulator = MerkleAccumulator()
    for leaf in leaves[:midway]:
        accumulator.append(leaf)
    assert (accumulator.size, accumulator.root()) == (midway, merkle.root(leaves[:midway]))
    for leaf in leaves[midway:]:
        accumulator.append(leaf)
    assert (accumulator.size, accumulator.root()) == (len(leaves), merkle.root(leaves))


def test_accumulator_root_equals_the_recursive_root_at_every_size_up_to_200() -> None:
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(200)]
    accumulator = MerkleAccumulator()
    for size in range(len(leaves) + 1):
        assert (size, accumulator.root()) == (accumulator.size, merkle.root(leaves[:size]))
        if size < len(leaves):
            accumulator.append(leaves[size])


# --- inclusion proofs -------------------------------------------------------------------------


def _check_inclusion(leaves: list[bytes], changed: int) -> None:
    """Every leaf's proof verifies; a changed leaf, root or proof element fails."""
    size, tree_root = len(leaves), merkle.root(leaves)
    rewritten = [*leaves]
    rewritten[changed] = leaves[changed] + b"!"
    rewritten_root = merkle.root(rewritten)
    for index, leaf in enumerate(leaves):
        proof = inclusion_proof(index, leaves)
        assert verify_inclusion(index, size, leaf, proof, tree_root)
        # A changed leaf is not in the tree.
        assert not verify_inclusion(index, size, leaf + b"\x00", proof, tree_root)
        assert not verify_inclusion(index, size, leaf, proof, _flip(tree_root))
        # After any one leaf of the log changed, no honest proof leads to the new root.
        assert not verify_inclusion(index, size, leaf, proof, rewritten_root)
        # Every element of the proof matters, and so does its length.
        for position in range(len(proof)):
            tampered = [*proof[:position], _flip(proof[position]), *proof[position + 1 :]]
            assert not verify_inclusion(index, size, leaf, tampered, tree_root)
        if proof:
            assert not verify_inclusion(index, size, leaf, proof[:-1], tree_root)
        assert not verify_inclusion(index, size, leaf, [*proof, bytes(32)], tree_root)


@PROPERTY
@given(SMALLER_NONEMPTY_LEAVES, st.data())
def test_every_inclusion_proof_verifies_and_any_change_breaks_it(
    leaves: list[bytes], data: st.DataObject
) -> None:
    changed = data.draw(st.integers(min_value=0, max_value=len(leaves) - 1), label="changed")
    _check_inclusion(leaves, changed)


def test_every_tree_shape_up_to_64() -> None:
    leaves = [bytes([i]) for i in range(64)]
    for size in range(1, len(leaves) + 1):
        _check_inclusion(leaves[:size], changed=size // 2)


@pytest.mark.parametrize("index", [-1, 3])
def test_no_inclusion_proof_outside_the_tree(index: int) -> None:
    with pytest.raises(ValueError, match="outside a tree of 3"):
        inclusion_proof(index, [b"a", b"b", b"c"])
    assert not verify_inclusion(index, 3, b"a", [], merkle.root([b"a", b"b", b"c"]))


# --- consistency proofs -----------------------------------------------------------------------


@PROPERTY
@given(tree_and_prefix())
def test_consistency_proofs_verify(case: tuple[list[bytes], int]) -> None:
    leaves, first = case
    proof = consistency_proof(first, leaves)
    assert verify_consistency(
        first, len(leaves), merkle.root(leaves[:first]), merkle.root(leaves), proof
    )


@PROPERTY
@given(tree_and_prefix())
def test_a_changed_first_root_fails_consistency(case: tuple[list[bytes], int]) -> None:
    leaves, first = case
    proof = consistency_proof(first, leaves)
    first_root, second_root = merkle.root(leaves[:first]), merkle.root(leaves)
    assert not verify_consistency(first, len(leaves), _flip(first_root), second_root, proof)
    assert not verify_consistency(first, len(leaves), first_root, _flip(second_root), proof)


@PROPERTY
@given(tree_and_prefix(), st.data())
def test_a_changed_leaf_in_the_prefix_fails_consistency(
    case: tuple[list[bytes], int], data: st.DataObject
) -> None:
    leaves, first = case
    changed = data.draw(st.integers(min_value=0, max_value=first - 1), label="changed")
    rewritten = [*leaves]
    rewritten[changed] = leaves[changed] + b"!"
    size = len(leaves)
    # The log was rewritten after the first checkpoint: its new tree does not extend the old one.
    assert not verify_consistency(
        first,
        size,
        merkle.root(leaves[:first]),
        merkle.root(rewritten),
        consistency_proof(first, rewritten),
    )
    # Nor does a rewritten prefix extend into the honest tree with the honest proof.
    assert not verify_consistency(
        first,
        size,
        merkle.root(rewritten[:first]),
        merkle.root(leaves),
        consistency_proof(first, leaves),
    )


@PROPERTY
@given(tree_and_prefix())
def test_a_tampered_consistency_proof_fails(case: tuple[list[bytes], int]) -> None:
    leaves, first = case
    size, proof = len(leaves), consistency_proof(first, leaves)
    first_root, second_root = merkle.root(leaves[:first]), merkle.root(leaves)
    for position in range(len(proof)):
        tampered = [*proof[:position], _flip(proof[position], bit=7), *proof[position + 1 :]]
        assert not verify_consistency(first, size, first_root, second_root, tampered)
    if proof:
        assert not verify_consistency(first, size, first_root, second_root, proof[:-1])
    assert not verify_consistency(first, size, first_root, second_root, [*proof, bytes(32)])


@pytest.mark.parametrize(("first", "second"), [(0, 3), (4, 3), (-1, 3)])
def test_consistency_needs_a_nonempty_prefix(first: int, second: int) -> None:
    leaves = [b"a", b"b", b"c"][:second]
    with pytest.raises(ValueError, match=f"no consistency proof from {first} to {second}"):
        consistency_proof(first, leaves)
    assert not verify_consistency(first, second, merkle.root([]), merkle.root(leaves), [])
