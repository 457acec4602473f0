"""The extractive answerer's pieces: question kinds, answer spans, and the rules that trust them."""

from __future__ import annotations

import pytest

from assistant.answer import spans
from assistant.answer.extractive import Part, _reader_short, _short, acronyms, span_of
from assistant.answer.question import classify
from assistant.answer.reader import Reading
from assistant.text import terms

SEED_COUNTS = (
    "The airstrikes also destroyed 36 vehicles, eight fuel trucks, and 17 pickups carrying "
    "mortars and large-caliber machine guns."
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("how many vehicles were destroyed?", "count"),
        ("How much did it cost?", "count"),
        ("who claimed the SDF deal?", "attribution"),
        ("Who warned that attempts would be met with force?", "attribution"),
        ("When did Daesh seize Raqqah?", "when"),
        ("In what year did it end?", "when"),
        ("Where were the convoys fleeing towards?", "where"),
        ("Who spotted the convoys?", "who"),
        ("Why did they leave?", "why"),
        ("Did Russia strike the convoy?", "yesno"),
        ("What is the main stronghold of Daesh?", "what"),
    ],
)
def test_question_kinds(question: str, kind: str):
    assert classify(question).kind == kind


def test_question_parts():
    q = classify("how many pick-up trucks were destroyed on May 25?")
    assert q.unit == tuple(terms("pick-up trucks")) and not q.wants_total
    assert classify("how many vehicles in total?").wants_total
    assert classify("Who spotted the convoys leaving Raqqah?").verb == "spott"
    assert classify("What were the destroyed pickups carrying?").object_verb == "carry"
    assert (
        classify("Who has Daesh entered a deal with, according to Russian sources?").preposition
        == "with"
    )
    assert classify("What is the main stronghold of Daesh in Syria?").described == (
        "main",
        "stronghold",
    )


def test_counts_with_their_units_and_dates_are_not_counts():
    found = [s.text for s in spans.counts(SEED_COUNTS)]
    assert found == ["36 vehicles", "eight fuel trucks", "17 pickups"]
    assert [
        s.text
        for s in spans.counts(
            "On May 25, jets killed as many as 120 and destroyed 32 pick-up trucks."
        )
    ] == [
        "as many as 120",
        "32 pick-up trucks",
    ]
    assert spans.counts("Daesh seized Raqqah in 2014.") == []
    best, others = spans.best_count(SEED_COUNTS, ("truck",))
    assert best.text == "eight fuel trucks" and len(others) == 2


def test_dates_carry_their_preposition():
    assert [
        d.text for d in spans.dates("It was built between 1835 and 1842, and sold on Monday.")
    ] == [
        "between 1835 and 1842",
        "on Monday",
    ]
    assert [d.text for d in spans.dates("examined in October 1518, not October 15")] == [
        "in October 1518",
        "October 15",
    ]


def test_places_attribution_subjects_and_appositives():
    assert [
        p.text
        for p in spans.places("born in Eisleben, Saxony, buried in the Castle Church.", set())
    ] == [
        "in Eisleben, Saxony",
        "in the Castle Church",
    ]
    assert (
        spans.attributions("According to Russian sources, Daesh has entered a deal.")[0].text
        == "Russian sources"
    )
    assert (
        spans.attributions(
            "According to a Thursday statement by the Russian Defense Ministry, jets struck."
        )[0].text
        == "the Russian Defense Ministry"
    )
    s = "The Russian task force in Syria has warned that any attempts will be met with force."
    assert spans.attributions(s)[0].text == "The Russian task force in Syria"
    s = "Russian airstrikes targeted the convoys after reconnaissance units spotted them."
    assert (
        spans.subject_of(s, "spott", set(terms("who spotted the convoys"))).text
        == "reconnaissance units"
    )
    s = "The push is being reinforced by Lebanese fighters and Iranian military advisers."
    q = set(terms("who is reinforcing the push besides Iranian military advisers"))
    assert spans.subject_of(s, "reinforc", q).text == "Lebanese fighters"
    s = "They left Raqqah, the main stronghold of Daesh in Syria."
    assert spans.appositive(s, ("main", "stronghold")).text == "Raqqah"


def test_acronyms_of_question_words_are_not_answers():
    assert "sdf" in acronyms(tuple(terms("commander of the Syrian Democratic Forces")))
    q = classify("Who is the commander of the Syrian Democratic Forces?")
    qterms = set(q.terms) | acronyms(q.terms)
    assert _short(q, "The Syrian Democratic Forces (SDF) fight on.", qterms) is None


def test_short_answers_only_from_rules_that_are_usually_right():
    q = classify("how many vehicles were destroyed?")
    qterms = set(q.terms)
    assert _short(q, SEED_COUNTS, qterms).text == "36 vehicles"
    # a count of something else is an answer of the right kind, but not one to state
    q = classify("how many warships fired missiles?")
    assert _short(q, SEED_COUNTS, set(q.terms)) is None
    q = classify("When did the jets strike?")  # two dates, neither next to the question's words
    assert (
        _short(q, "On Monday officials said that in 2014 something else happened.", set(q.terms))
        is None
    )


@pytest.mark.parametrize(
    ("question", "sentence", "subject"),
    [
        # a relative clause between the subject and its verb is skipped
        (
            "Who invited Washington to dine with him?",
            "Jacques Legardeur de Saint-Pierre, who succeeded Marin as commander after the "
            "latter died on October 29, invited Washington to dine with him.",
            "Jacques Legardeur de Saint-Pierre",
        ),
        (
            "Who invited the envoy?",
            "In May, the governor, who had arrived, invited the envoy.",
            "the governor",
        ),
        # a name joined by "and" stays in the subject
        (
            "Who killed Begter?",
            "During a hunt, Temüjin and his brother Khasar killed their half-brother Begter.",
            "Temüjin and his brother Khasar",
        ),
        # a passive question asks who the verb was done to
        (
            "Who was limited by Denver's defense?",
            "Newton was limited by Denver's defense, which sacked him seven times.",
            "Newton",
        ),
        (
            "Who was limited by the defense?",
            "The defense limited Newton, sacking him seven times.",
            "Newton",
        ),
        ("Who spotted the convoy?", "The convoy was spotted by Russian jets.", "Russian jets"),
    ],
)
def test_subjects(question: str, sentence: str, subject: str):
    q = classify(question)
    assert spans.subject_of(sentence, q.verb, set(q.terms), q.passive).text == subject


def test_a_pronoun_subject_is_no_answer_and_rank_questions_ask_no_place():
    q = classify("Who found that voters moved?")
    assert spans.subject_of("From his research he found that voters moved.", q.verb, set()) is None
    assert classify("Where does oxygen rank by mass?").kind == "what"
    assert classify("Where does the river rise?").kind == "where"


def test_an_adjective_in_ing_belongs_to_the_unit():
    s = "There were 108 existing television stations; Boston had two television stations."
    best, _ = spans.best_count(s, tuple(terms("television stations")))
    assert best.text == "108 existing television stations"
    assert [c.text for c in spans.counts("17 pickups carrying mortars")] == ["17 pickups"]


def test_the_count_asked_for_is_not_a_part_nor_one_the_question_gives():
    s = "On Monday Mr Sullivan named Mr Ebbers as one of five executives in the fraud."
    assert [c.text for c in spans.counts(s)] == ["one", "five executives"]
    assert spans.best_count(s, ())[0].text == "five executives"  # not the "one of" them
    q = classify("How much a week do mothers receive after the first six weeks?")
    s = "Mothers get 90% of pay for the first six weeks, then £102.80 a week until six months."
    assert q.money and spans.best_count(s, q.unit, frozenset(q.terms), q.money)[0].text == "£102.80"
    q = classify("How much in US dollars was Yuganskneftegas sold for?")
    s = "Yuganskneftegas was sold for 260.75bn roubles ($9.37bn) to Baikal."
    assert spans.best_count(s, q.unit, frozenset(q.terms), q.money)[0].text == "$9.37bn"
    q = classify("How many teams up to Super Bowl 50 have been eight times?")
    s = "Super Bowl 50 was an American football game."
    assert spans.best_count(s, q.unit, frozenset(q.terms))[0] is None  # the question's own 50
    assert not classify("How much of the land is forest?").money


def test_a_range_is_one_count_and_a_change_two():
    found = spans.counts(
        "Possibly one or two membranes; 10-12 people; it rose from 5 to 7 per cent."
    )
    assert [c.text for c in found] == ["one or two membranes", "10-12 people", "5", "7 per cent"]
    assert spans.counts("It was sold in the best traditions of the 90s.") == []  # a decade


def test_a_count_borrows_the_date_of_the_sentence_before_only_when_it_has_none_of_its_own():
    from assistant.answer.extractive import _dated, candidates
    from assistant.types import Chunk, Passage, Sentence

    def cands(text: str):
        first = text.split("\n")[0]
        sentences = (Sentence(0, len(first)), Sentence(len(first) + 1, len(text)))
        chunk = Chunk("a", 0, sentences, text)
        return candidates([Passage(chunk, "T", None, None, 1.0, 0)])

    seed = cands("Jets struck the convoys on Monday.\nThe airstrikes also destroyed 36 vehicles.")[
        1
    ]
    part = _dated("36 vehicles", seed)
    assert part.text == "36 vehicles on Monday" and part.context
    assert (seed.before, seed.before_start) == ("Jets struck the convoys on Monday.", 0)
    harbour = cands(
        "The bridge reopened on Tuesday.\nEngineers replaced 412 cables during the closure."
    )[1]
    assert _dated("412 cables", harbour) == Part("412 cables", harbour, False)
    own = cands("Jets struck on Monday.\nOn May 25 jets destroyed 32 trucks.")[1]
    assert _dated("32 trucks", own).text == "32 trucks on May 25"


def test_the_readers_short_answer_is_its_span_when_it_is_sure():
    sentence = "The reader said 36 vehicles were destroyed by Ann Lee."
    lee = (sentence.index("Ann Lee"), sentence.index("Ann Lee") + 7)
    q = classify("Who destroyed the vehicles?")
    assert _reader_short(q, sentence, Reading(1.0, 0.7, lee, 0.6), 0.5) == "Ann Lee"
    assert _reader_short(q, sentence, Reading(1.0, 0.7, lee, 0.4), 0.5) is None  # unsure
    assert _reader_short(q, sentence, Reading(1.0, 0.7, None, 0.0), 0.0) is None
    # a count is widened to what it counts
    q = classify("how many vehicles were destroyed?")
    k = sentence.index("36")
    assert _reader_short(q, sentence, Reading(1.0, 0.7, (k, k + 2), 0.9), 0.5) == "36 vehicles"


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        (
            '"We wish it to stay," Dieter Brandt, its minister for economic affairs added.',
            "Dieter Brandt",
        ),
        (
            "Farmer Geoff Brooks, a senior member of the Quorn hunt, described it as silly.",
            "Farmer Geoff Brooks",
        ),
        (
            "Liberal Democrat foreign affairs spokesman Sir Menzies Campbell repeated his call.",
            "Liberal Democrat foreign affairs spokesman Sir Menzies Campbell",
        ),
        ("The Tories dismissed the plan as desperate.", "The Tories"),
    ],
)
def test_who_gives_a_view_is_a_speaker(sentence: str, speaker: str):
    assert [s.text for s in spans.attributions(sentence)][:1] == [speaker]


def test_he_or_she_is_the_speaker_the_sentence_before_names():
    from assistant.answer.sources import _speaker

    before = "Farmer Geoff Brooks, a senior member of the Quorn hunt, told BBC News it mattered."
    assert _speaker("He described the ban as ridiculous.", before) == "Farmer Geoff Brooks"
    assert _speaker("He described the ban as ridiculous.") is None


@pytest.mark.parametrize(
    ("question", "sentence", "answer"),
    [
        ("How old is Susan Chepkemei?", "The 29-year-old took part in the race.", "29-year-old"),
        ("How old is Kelly Holmes?", "Holmes, 34, won double Olympic gold.", "34"),
        (
            "How much does the DS cost in the US?",
            "It costs £99 in the UK and $149 in the US.",
            "$149",
        ),
    ],
)
def test_ages_and_prices_where_asked(question: str, sentence: str, answer: str):
    q = classify(question)
    assert q.kind == "count"
    assert spans.best_count(sentence, q.unit, frozenset(q.terms), q.money)[0].text == answer


def test_an_age_is_answered_in_years():
    q = classify("How old is Susan Chepkemei?")
    span, _ = span_of(q, "The 29-year-old took part in the race.", set(q.terms))
    assert span.text == "29"
