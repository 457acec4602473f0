"""Bad questions through the Python API and the HTTP API (in-process client)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.drills import BAD_QUESTIONS, questions_drill


def test_bad_questions_get_an_answer_or_a_clear_error_never_a_traceback(tmp_path: Path):
    result = questions_drill(tmp_path, articles=12)
    assert result["problems"] == []
    assert result["python_outcomes"].get("error 400", 0) >= 5  # empty, blank, too long
    assert sum(result["python_outcomes"].values()) == len(BAD_QUESTIONS)
    assert result["http_statuses"].get("400", 0) >= 10 and "500" not in result["http_statuses"]
