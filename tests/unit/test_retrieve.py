from __future__ import annotations

from assistant.retrieve import rrf, stem, terms


def test_rrf_rewards_agreement_between_rankings():
    fused = rrf([["a", "b", "c"], ["c", "a", "d"]])
    assert [k for k, _ in fused] == ["a", "c", "b", "d"]
    assert fused[0][1] == 1 / 61 + 1 / 62


def test_rrf_of_one_ranking_keeps_its_order_and_ties_are_stable():
    assert [k for k, _ in rrf([["x", "y", "z"]])] == ["x", "y", "z"]
    assert [k for k, _ in rrf([["b"], ["a"]])] == ["a", "b"]
    assert rrf([]) == []


def test_terms_drop_stopwords_and_stem():
    assert terms("How many vehicles were destroyed?") == ["vehicle", "destroy"]
    assert stem("vehicles") == stem("vehicle")
    assert stem("claimed") == stem("claims") == stem("claim") == "claim"
    assert stem("boxes") == "box" and stem("countries") == "country" and stem("gas") == "gas"
