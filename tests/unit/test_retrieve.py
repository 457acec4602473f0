from __future__ import annotations

from assistant.retrieve import rrf
from assistant.text import stem, terms


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


def test_the_lexical_index_is_saved_and_reused_while_current(settings, tmp_path, monkeypatch):
    from assistant import Assistant
    from assistant.retrieve import Lexical, Retriever, lexical_folder
    from tests.conftest import SEEDS, FakeEmbedder

    a = Assistant(settings=settings, embedder=FakeEmbedder())
    a.ingest([SEEDS])
    first = a.retriever.lexical()
    folder = lexical_folder(a.store)
    assert [p.name for p in folder.iterdir()] == [first.key]

    # a new process (here: a new retriever) loads the saved copy instead of rebuilding
    def no_build(store):
        raise AssertionError("rebuilt although a current copy was saved")

    monkeypatch.setattr(Lexical, "build", classmethod(lambda cls, store: no_build(store)))
    loaded = Retriever(a.store).lexical()
    assert loaded.ids == first.ids and loaded.df == first.df and loaded.meta == first.meta
    q = terms("How many vehicles were destroyed?")
    assert loaded.search(q, 5) == first.search(q, 5) != []
    monkeypatch.undo()

    # a change to the store makes the saved copy stale: rebuilt, saved, the old one removed
    story = tmp_path / "bridge.md"
    story.write_text("---\ntitle: Bridge\n---\nThe mayor opened the bridge on Monday.\n")
    a.ingest([story])
    second = a.retriever.lexical()
    assert second.key != first.key and second.n > first.n
    assert [p.name for p in folder.iterdir()] == [second.key]

    # an unreadable copy is rebuilt, never trusted
    (folder / second.key / "lexical.json").write_text("{not json")
    again = Retriever(a.store).lexical()
    assert again.ids == second.ids
    assert Lexical.load(folder, second.key).ids == second.ids  # and saved again, readable
