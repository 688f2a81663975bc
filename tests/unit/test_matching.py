"""The near-miss search scores only candidate pairs: it must find exactly what scoring every pair finds."""

import random

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from keyprojects.warehouse import matching
from keyprojects.warehouse.matching import KeyRow

ALPHABET = "甲乙丙丁戊己庚辛壬癸年产万吨新材料光伏电站项目公司县"


def _names(rng: random.Random, n: int) -> list[str]:
    """Names built from few characters, many of them one or two characters apart (the hard case)."""
    base = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 24))) for _ in range(n // 3)]
    out = set(base)
    for s in base:
        for _ in range(2):
            chars = list(s)
            k = rng.randrange(len(chars))
            op = rng.random()
            if op < 0.4:
                chars[k] = rng.choice(ALPHABET)
            elif op < 0.7:
                chars.insert(k, rng.choice(ALPHABET))
            elif len(chars) > 1:
                del chars[k]
            out.add("".join(chars))
    return sorted(out)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("threshold", [0.9, 0.8, 0.95])
def test_candidate_pairs_hold_every_pair_that_reaches_the_threshold(seed, threshold):
    rng = random.Random(seed)
    names = _names(rng, 600)
    queries = sorted(rng.sample(range(len(names)), len(names) // 2))
    qi, cj = matching.candidate_pairs(names, queries, threshold)
    got = set(zip(qi.tolist(), cj.tolist(), strict=True))
    scores = process.cdist([names[i] for i in queries], names, scorer=fuzz.ratio,
                           score_cutoff=threshold * 100, workers=1)
    want = {(i, int(j)) for q, i in enumerate(queries) for j in scores[q].nonzero()[0] if int(j) != i}
    assert want, "the case must hold pairs to find"
    assert want <= got
    assert len(got) < len(queries) * len(names) / 2   # and it is a filter, not every pair


def _brute_near_misses(rows, quarter):
    """The earlier search: every codeless spelling of a unit scored against all its spellings."""
    from collections import defaultdict

    spellings = defaultdict(dict)
    for r in rows:
        if r.name_key:
            spellings[r.unit].setdefault((r.project_key, r.name_key), r)
    out = []
    for _unit, by_spelling in sorted(spellings.items()):
        items = sorted(by_spelling)
        queries = [i for i, (key, _) in enumerate(items) if key.startswith("N:")]
        if not queries:
            continue
        names = [name for _, name in items]
        scores = process.cdist([names[i] for i in queries], names, scorer=fuzz.ratio, score_cutoff=90,
                               workers=1)
        best = {}
        for q, i in enumerate(queries):
            for j in scores[q].nonzero()[0]:
                j = int(j)
                (ka, na), (kb, nb) = items[i], items[j]
                if ka == kb or na == nb:
                    continue
                pair = (min(ka, kb), max(ka, kb))
                score = float(scores[q][j])
                if pair not in best or score > best[pair][0]:
                    best[pair] = (score, *((i, j) if ka < kb else (j, i)))
        for pair in sorted(best):
            score, a, b = best[pair]
            out.append(matching._review(quarter, by_spelling[items[a]], by_spelling[items[b]], score / 100,
                                        "near miss: similar names, not merged"))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_near_misses_equal_scoring_every_pair(seed):
    rng = random.Random(100 + seed)
    rows = []
    for u, unit in enumerate(("忻府区", "定襄县", "代县")):
        for n, name in enumerate(_names(rng, 300)):
            for lst in rng.sample(["dispatch", "approved", "energy", "signed"], rng.randint(1, 2)):
                code = f"2203-1409{u}{n:04d}-01" if rng.random() < 0.5 else None
                rows.append(KeyRow(lst, f"{lst}.xlsx", "S", n + 5, code, name + "项目", name, unit))
    m = matching.match_rows(rows, "2022Q1")
    got = [r for r in m.review if r["reason"].startswith("near miss")]
    want = _brute_near_misses(m.rows, "2022Q1")
    assert len(want) > 20
    assert got == want


def _lengths(names):
    return np.array([len(n) for n in names], dtype=np.float64)


def test_candidate_pairs_with_names_too_long_for_the_character_counts():
    long_a = "甲" * 300 + "光伏项目"
    long_b = "甲" * 300 + "光伏工程"
    names = [long_a, long_b, "乙公司风电项目", "乙公司风电项木", "𠀀丙公司储能项目", "𠀀丙公司储能工程"]
    assert matching._bags(names, _lengths(names)).dtype == np.uint16      # 300 甲 in one bucket
    qi, cj = matching.candidate_pairs(names, [0, 2, 4], 0.9)
    assert (0, 1) in set(zip(qi.tolist(), cj.tolist(), strict=True))          # 99.3
    huge = ["甲" * 70_000 + "项目", "甲" * 70_000 + "工程"]
    assert matching._bags(huge, _lengths(huge)) is None                         # no count type: no filter
    qi, cj = matching.candidate_pairs(huge, [0], 0.9)
    assert (0, 1) in set(zip(qi.tolist(), cj.tolist(), strict=True))
    # without the long names the character counts apply, and still find the pair
    short = names[2:]
    assert matching._bags(short, _lengths(short)).shape == (4, 32)
    qi, cj = matching.candidate_pairs(short, [0, 2], 0.8)
    assert (0, 1) in set(zip(qi.tolist(), cj.tolist(), strict=True))


def test_candidate_pairs_the_same_in_small_blocks(monkeypatch):
    """The queries go through in blocks (bounded memory): blocks of three queries, or of a few
    posting-list entries, give the same pairs in the same order as one block."""
    rng = random.Random(7)
    names = _names(rng, 600)
    queries = sorted(rng.sample(range(len(names)), len(names) // 2))
    whole = matching.candidate_pairs(names, queries, 0.9)
    assert len(whole[0]) > 20
    monkeypatch.setattr(matching, "MARK_CELLS", 3 * len(names))
    parts = matching.candidate_pairs(names, queries, 0.9)
    assert np.array_equal(whole[0], parts[0]) and np.array_equal(whole[1], parts[1])
    monkeypatch.setattr(matching, "EXPAND_ENTRIES", 50)
    parts = matching.candidate_pairs(names, queries, 0.9)
    assert np.array_equal(whole[0], parts[0]) and np.array_equal(whole[1], parts[1])
