"""Withdrawals merkle tree (docs/rewards.md §7): vectors of docs/rewards.md §9.5.12-9.5.13, and byte equality with
`multiproof.StandardMerkleTree`, the library the reference uses."""
import random

import pytest
from eth_hash.auto import keccak
from multiproof import StandardMerkleTree

from tests.octant.core.math_constants import ALICE, BOB
from withdrawals import engine

LEAVES_25 = """
0x3f5CE5FBFe3E9af3971dD833D26bA9b5C936f0bE 112570000000000000  ->42
0x542dDa687a997f6470c524B253C78164C78D1820 3562840000000000000 ->28
0xB8c77482e45F1F44dE1745F52C74426C631bDD52 8910320000000000000 ->46
0x71fc860F7D3A592A4a98740e39dB31d25db65ae8 2674890000000000000 ->33
0x6fB3e0A217407EFFf7Ca062D46c26E5d60a14d69 4571980000000000000 ->44
0xd26114cd6EE289AccF82350c8d8487fedB8A0C07 250000000000000     ->36
0xaFd870f32cE54eFdBeF15aD0f3Bbfa65B851aeC8 7992130000000000000 ->37
0x3108C33b6fB38efEDaEfd9D2B410afF4413DC146 1564270000000000000 ->27
0x5c44Ec97E4f1e1FBba16c5c820b8B9C3Bc799574 6341970000000000000 ->29
0x70c728cE10640506bd202f3a9787211B5BDB7C71 354180000000000000  ->34
0xA7fC5D2459E169006D41dD8a2d3659D23a4d59d1 4876390000000000000 ->24
0xDF8d90E8aA44369c3BB2576630B3A33B5a2b7c7E 9481220000000000000 ->26
0xFa5BDE92B6563e3513E8f8E686828785F9B3c764 1689420000000000000 ->32
0x85e76cbF4893C1fBCB34dcf1239A91ce2A4cF5B4 8246500000000000000 ->41
0x4a220E6096B25EADb88358cb44068A3248254675 738990000000000000  ->39
0x2a8E98e256f32259b5E5Cb55Dd63C8e891950666 2358650000000000000 ->43
0x742d35Cc6634C0532925a3b844Bc454e4438f44e 5927840000000000000 ->48
0xA1D8D972560C2F8144c7348B2302ee32b17126Ce 3842510000000000000 ->38
0x997114ca0830E9beF8D63b8BDc8B38637D602646 7671280000000000000 ->35
0xfE9e8709d3215310075d67E3ed32A380CCf451C8 895320000000000000  ->25
0x8d12A197cB00D4747a1fe03395095ce2A5CC6819 4163940000000000000 ->30
0xE41d2489571d322189246DaFA5ebDe1F4699F498 9379870000000000000 ->31
0xFBb1b73C4f0BDa4f67dcA266ce6Ef42f520fBB98 2497110000000000000 ->47
0x5EAE89dC1C671724a672ff0630122fFdcD4702C4 18620000000000000   ->45
0x0681d8Db095565FE8A346fA0277bFfdE9C0eDBBF 6483710000000000000 ->40
"""

TREE_25 = """
0 0x1e66fdc051cc0d8df541b7fd2ab26356074c55470a976cec9385469b831f772b
1 0x69262bab0fe78fb80b65750e21c5d6370eca7a07efc6cf94ab7b8dbf48dc8d99
2 0xd8d7ba41a377650c9694292245cbb385dfaf5e50de0bcb72bac18dc2f7cdf9a2
3 0x4bd8ab9fbc78d7b4eb1dc93c13f9bd8f7ba9e1301a78e37f37b3bbbed3a206a6
4 0xc6fc81e2eaee48cc1b57a671c7467af8be7c4adb57161e5c344137872bb82203
5 0xb1c330a32848301f89a3d56bfe4684e63d5f9e2acb5eba9c91de478903a76aa4
6 0xde04bc2b5d97abb537f9fedbf2161429d3987f2b9f09ef336ded107e8f077734
7 0xb24f947d5935c87805ad283f538bf030c65840292b474f1876f33dda67907b40
8 0x40f3fc909cf1c578dc34145e495573d8fcc8a8bf543e8469c4da8e5907386aa8
9 0x4da64177160831a93ac6940d996a513d08d6b3a27b594ebd52cfc143c2bc2cb5
10 0x1e6c2f5db3782a1b1d06697edaadbda63f0141b505e0cc8a888703523863bc2d
11 0xd1feab7b392c3421b8fe15ce881ec5cb1383b8f18d2c42935ab99062754eea8e
12 0x6e6f54a43b7b08f9db88eb7450b119fe4f742e2e308e5eb0d1ddb6c6c2652f46
13 0x151b4c406d0d0b5766272547a22f96ad41bac354a85b208810d96dcc737855dd
14 0x03ea6ec461ee4c3cad79b8bc3448586454eea579ccbacdf464426a56c7168627
15 0x475e266453e864933d114e78f3d7c79c6510546bcf6da4a2dbf74c1a31de7ac2
16 0x3a8fe15ba84896239239ec784106b8ee6c898671209ec4dc076b91e5a5e10782
17 0x7ae678bb1dd9a4d0e5afbc36643249cd14fa555a6111482e1fc22a3f58677e3c
18 0x3937416f9b929285e99cac68cb8a930eb64fade40dc956b3501e7e9a82a0cc5d
19 0x4a6da0a644a016091addb6f617cfa80903d58adc07864b792078aa37591cde2d
20 0x4d4732cfbe2537ce1a85da5ec81f6b7f428b36aed332ec5c4d2baa55f11780d6
21 0xd9439151fb28fe3ca20d5dfd5a178b9095051a200669d00f19a7480711b6d94b
22 0x56dc01a1ef7f8318f71b9884d274b30f34fea1835fc801761ef271e58db760c2
23 0x44e85e457c762d959fdea93671d0b0856e5659a5ba343d4c2669c74ff21f6a3c
24 0xffa2f68242dfb8f5de7c3e9f4ce904a94b7d20771fd92da054e6944cba354902
25 0xebebf39f08e7133af04f847fa32c6d058739efa6446546690a2d49e243c042f5
26 0xeb09076ca5fdf3fe1bd7f5d9f5aed4525ef81db043c72bc76c109812c126d550
27 0xdb012103668de7a60446c790b7156a2af3e96668f03ac171edd11815e3a4ace9
28 0xc8679d4d55356a9c4596c31ceb528ab48282b33d48983f4cff41a396e417da85
29 0xc46b29fdf260fc8d9e74e240ba8f836e84053f469b2344d553415ec0a069dbd0
30 0xbdebd59d5fe95eb7ba5dc46c205ae18117c6cc7febecd551a3384819a74ab023
31 0xbbf3314ca8eba79ba1576f1526a51adb77fcbc428e89431dfa99591b0e370350
32 0xb95be33015e2f3e029d21755a3ed5a7e2df34358cf66162287d8092aca1b93a1
33 0xb127fe330afbb0e5122dceacaffcbaf6b3650a05570945bb802ee7194c85d712
34 0xa41749c49b315cff304e6ca74e144e7ee2ba89d370e30a5a4d4ad3c7f45151ab
35 0x9e84f4c0a8f8c79300448c7661fba967c9512804ff15397e500a59defd330a5d
36 0x7853cc6fbdfd96f600da4ce9498898a94ca2bab7148f9d9663fa3d3046cbdb34
37 0x7007e6d9d24afb68c5f8aa93d490c68dfafda7b15136351ce085353671b918e1
38 0x5c9a5a013c6ff3ed373d4a76cfaa21216ef04b2c937faf6063a510b5f2036fe0
39 0x584985dfde6e9a66afaa1caf67b8463f05229d101aa71e2d7545002596bf5ffb
40 0x5771e5ed68e92a0b56ac55d914c76444336adabb162527b0c36e27c13f809fbe
41 0x5435fee77da26c2b04de6aa09b40ea63b9d9fc39d0bc14a875d858083889c34a
42 0x4a78205e78824ca33e7173ed9295815582dc3eb0c608b9157b872510cedc4eda
43 0x38af60bf9c6ee07e0bc53e8f0ebd7a137f064ca55706c2b529a206e46cb76647
44 0x33b79d617a16041a4e90762b86e6d46b934adc155c950a9029d62ecec315ba15
45 0x2fb69874b64af9473781867f006928cb20f2e97138f9b4fbed7b0244381db627
46 0x163c8282bde00f5ab4c56ec23d351366714ef1f5d7ab79b2d78f69069182d2fd
47 0x1549bf37150af5da8c34e3988a9a1ba7be98be39fd0505d09846753a2e14639e
48 0x0cfb48efbf6484d6a75b24b3f349108001977d233091cb520a292267a0bb2dd6
"""


def _leaves_25():
    rows = [line.split() for line in LEAVES_25.strip().splitlines()]
    return [(address, int(amount)) for address, amount, _ in rows], [int(index[2:]) for *_, index in rows]


def _tree_25():
    return [node for _, node in (line.split() for line in TREE_25.strip().splitlines())]


def test_25_leaves_whole_tree_indices_and_proofs():
    leaves, indices = _leaves_25()
    tree = engine.merkle_tree(leaves)
    nodes = _tree_25()
    assert tree.hex_nodes() == nodes
    assert tree.root == nodes[0] == "0x1e66fdc051cc0d8df541b7fd2ab26356074c55470a976cec9385469b831f772b"
    assert [tree.tree_index(address) for address, _ in leaves] == indices
    assert tree.proof(leaves[0][0]) == [nodes[i] for i in (41, 19, 10, 3, 2)]
    assert tree.proof(leaves[1][0]) == [nodes[i] for i in (27, 14, 5, 1)]
    assert tree.proof(leaves[2][0]) == [nodes[i] for i in (45, 21, 9, 3, 2)]
    reference = StandardMerkleTree.of([[a, v] for a, v in leaves], list(engine.LEAF_ENCODING))
    for position, (address, amount) in enumerate(leaves):
        proof = tree.proof(address)
        assert proof == reference.get_proof(position)
        assert engine.verify(tree.root, address, amount, proof)
        assert not engine.verify(tree.root, address, amount + 1, proof)


def test_leaf_order_does_not_change_the_root():
    leaves, _ = _leaves_25()
    shuffled = leaves[:]
    random.Random(1).shuffle(shuffled)
    assert engine.merkle_tree(shuffled).root == engine.merkle_tree(leaves).root


@pytest.mark.parametrize(
    "amounts, proof, root",
    [
        ((100000000000, 200000000000), "0xeba8e145c1102400c42b1fc5de1fea439aeaa93a6b46ef370ecbc8f15140a2dd",
         "0x5bfce3a8b893f52253dbfc13dc55163ae53cf266a5a9fd55b4598d17e07e19be"),
        ((300000000000, 400000000000), "0x339903fb80300f9cbf79e8bf8b9bb692c2896cf5607351cbdc3190c769b7f2bc",
         "0xbc3a7743feb415bbfe4c38c82be7d516c9b4d301b6b6b16e6971fc674b060c16"),
    ],
)
def test_two_leaf_epoch_trees(amounts, proof, root):
    tree = engine.merkle_tree([(ALICE, amounts[0]), (BOB, amounts[1])])
    assert tree.proof(ALICE) == [proof] == ["0x" + engine.leaf_hash(BOB, amounts[1]).hex()]
    assert tree.root == root
    assert engine.verify(root, ALICE, amounts[0], tree.proof(ALICE))
    assert engine.verify(root, BOB, amounts[1], tree.proof(BOB))
    assert not engine.verify(root, BOB, amounts[1], tree.proof(ALICE))


def test_no_leaves_and_one_leaf():
    empty = engine.merkle_tree([])
    assert empty.root is None
    with pytest.raises(KeyError):
        empty.proof(ALICE)
    single = engine.merkle_tree([(ALICE, 5)])
    assert single.root == "0x" + engine.leaf_hash(ALICE, 5).hex()
    assert single.proof(ALICE) == []
    assert engine.verify(single.root, ALICE, 5, [])


def test_proof_lookup_is_by_exact_address_string():
    tree = engine.merkle_tree([(ALICE, 5), (BOB, 6)])
    with pytest.raises(KeyError):
        tree.proof(ALICE.lower())


def test_invalid_leaves_are_rejected():
    with pytest.raises(ValueError):
        engine.merkle_tree([("0x1234", 5)])
    with pytest.raises(ValueError):
        engine.merkle_tree([(ALICE, -1)])
    with pytest.raises(ValueError):
        engine.merkle_tree([(ALICE, 2**256)])


@pytest.mark.parametrize("count", [2, 3, 7, 64, 301])
def test_byte_equality_with_multiproof(count):
    rng = random.Random(count)
    leaves = [("0x" + rng.randbytes(20).hex(), rng.randrange(0, 2**200)) for _ in range(count)]
    leaves.append(leaves[0])  # a duplicate leaf keeps the input order among equal hashes, as multiproof does
    tree = engine.merkle_tree(leaves)
    reference = StandardMerkleTree.of([[a, v] for a, v in leaves], list(engine.LEAF_ENCODING))
    assert tree.root == reference.root
    assert tree.hex_nodes() == reference.dump().tree
    assert tree.tree_indices == [value.tree_index for value in reference.values]
    for position in range(0, len(leaves), 7):
        assert tree.proof_at(tree.tree_indices[position]) == reference.get_proof(position)
        assert StandardMerkleTree.verify(tree.root, list(engine.LEAF_ENCODING), list(leaves[position]),
                                         tree.proof_at(tree.tree_indices[position]))


def test_fast_keccak_equals_eth_hash():
    fast = engine._fast_keccak()
    assert fast is not engine._eth_keccak, "pycryptodome's C keccak is no longer reachable: merkle trees got ~3x slower"
    rng = random.Random(3)
    for size in [0, 1, 31, 32, 64, 135, 136, 137, 300, 1000]:
        data = rng.randbytes(size)
        assert fast(data) == keccak(data)


@pytest.mark.parametrize("count", [1, 2, 3, 25, 301])
def test_unproven_leaves_is_verify_for_every_leaf(count):
    from dataclasses import replace

    rng = random.Random(count)
    leaves = [("0x" + rng.randbytes(20).hex(), rng.randrange(0, 2**200)) for _ in range(count)]
    tree = engine.merkle_tree(leaves)

    def unproven_by_verify(tree, root):
        return [p for p, ((a, v), i) in enumerate(zip(tree.leaves, tree.tree_indices))
                if root is None or not engine.verify(root, a, v, tree.proof_at(i))]

    assert engine.unproven_leaves(tree, tree.root) == unproven_by_verify(tree, tree.root) == []
    other = "0x" + "ab" * 32
    assert engine.unproven_leaves(tree, other) == unproven_by_verify(tree, other) == list(range(count))
    assert engine.unproven_leaves(tree, None) == engine.unproven_leaves(tree, "0xnothex") == list(range(count))
    # a leaf whose amount changed after the tree was built: its own proof fails, the others' still hold
    changed = replace(tree, leaves=[(leaves[0][0], leaves[0][1] + 1), *leaves[1:]])
    assert engine.unproven_leaves(changed, tree.root) == unproven_by_verify(changed, tree.root) == [0]
