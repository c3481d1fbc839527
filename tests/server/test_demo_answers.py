"""The demo candidates' answers: spoken sheets that differ in quality by the script's own look-fors, a reply order
that follows the conversation, and work-sample answers whose real grades land where each level should."""

from __future__ import annotations

import numpy as np
import pytest

from agent.policy import lacks_concrete_example, look_for_coverage, word_count
from prompts.builtin import builtin_pack, builtin_script
from scoring.grading.attempt import grade_attempt
from server.demo import cap_pauses, current_question
from server.demo_answers import (
    CORRECT_SHARE,
    INTERVIEW_SHEETS,
    LEVELS,
    NOTHING_TO_ADD,
    AnswerSheet,
    ItemAnswer,
    Level,
    work_sample_answers,
)

SCRIPT = builtin_script()
PACK = builtin_pack()


def test_every_level_answers_every_question_of_the_builtin_script() -> None:
    ids = {q.id for q in SCRIPT.questions()}
    for level in LEVELS:
        assert set(INTERVIEW_SHEETS[level]) == ids, level


def test_strong_answers_cover_more_look_fors_than_average_and_average_more_than_weak() -> None:
    def coverage(level: Level) -> float:
        sheet = INTERVIEW_SHEETS[level]
        return sum(look_for_coverage(sheet[q.id].main, q.look_fors) or 0.0 for q in SCRIPT.questions())

    strong, average, weak = (coverage(level) for level in LEVELS)
    assert strong > average > weak, (strong, average, weak)
    for q in SCRIPT.questions():
        strong_one = look_for_coverage(INTERVIEW_SHEETS["strong"][q.id].main, q.look_fors)
        weak_one = look_for_coverage(INTERVIEW_SHEETS["weak"][q.id].main, q.look_fors)
        assert strong_one is not None and weak_one is not None and strong_one > weak_one, q.id


def test_strong_answers_are_concrete_and_short_enough_to_speak_and_weak_ones_are_short() -> None:
    for q in SCRIPT.questions():
        strong = INTERVIEW_SHEETS["strong"][q.id]
        weak = INTERVIEW_SHEETS["weak"][q.id]
        assert 25 <= word_count(strong.main) <= 50, (q.id, word_count(strong.main))
        assert not lacks_concrete_example(strong.main + " " + strong.follow_up), q.id
        assert word_count(weak.main) < 15, q.id


def test_the_sheet_answers_first_then_follows_up_then_has_nothing_to_add() -> None:
    sheet = AnswerSheet.for_level("average")
    expected = INTERVIEW_SHEETS["average"]["consistency"]
    said = [sheet.reply("consistency") for _ in range(4)]
    assert said == [expected.main, expected.follow_up, NOTHING_TO_ADD, NOTHING_TO_ADD]
    assert sheet.reply("experience") == INTERVIEW_SHEETS["average"]["experience"].main  # each question its own
    other = sheet.reply("a-question-the-sheet-does-not-know")
    assert other and other != NOTHING_TO_ADD
    texts = sheet.texts(["consistency", "experience"])
    assert expected.main in texts and expected.follow_up in texts and NOTHING_TO_ADD in texts
    assert len(texts) == len(set(texts))


def test_the_current_question_comes_from_the_line_then_the_question_events() -> None:
    questions = SCRIPT.questions()
    opening = f"{SCRIPT.opening} {questions[0].prompt}"
    assert current_question(SCRIPT, opening, [], -1) == 0
    events = [{"type": "question", "number": 1}, {"type": "question", "number": 3}]
    assert current_question(SCRIPT, f"Thank you. {questions[3].prompt}", events, 0) == 3  # the line wins
    assert current_question(SCRIPT, "Could you tell me a bit more?", events, 0) == 2  # a follow-up: the event
    assert current_question(SCRIPT, "Could you tell me a bit more?", [], 5) == 5


def _graded(answers: list[ItemAnswer]) -> float:
    stored: dict[str, dict[str, dict[str, object]]] = {}
    for a in answers:
        stored.setdefault(a.task_id, {})[a.item_id] = a.answer.model_dump(mode="json")
    fraction: float = grade_attempt(PACK, stored, set())["fraction"]
    return fraction


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_work_sample_answers_grade_strong_above_average_above_weak(seed: int) -> None:
    answers = {level: work_sample_answers(PACK, level, seed) for level in LEVELS}
    items = sum(len(task.items) for task in PACK.tasks)
    for level, sheet in answers.items():
        assert len(sheet) == items and {(a.task_id, a.item_id) for a in sheet} == {
            (t.id, i.id) for t in PACK.tasks for i in t.items
        }
        assert sum(a.correct for a in sheet) == round(CORRECT_SHARE[level] * items)
    strong, average, weak = (_graded(answers[level]) for level in LEVELS)
    assert strong >= 0.9 and 0.55 <= average <= 0.85 and weak <= 0.5, (strong, average, weak)
    assert strong > average > weak


def test_work_sample_answers_are_the_same_for_a_seed_and_change_with_it() -> None:
    def right(seed: int) -> list[bool]:
        return [a.correct for a in work_sample_answers(PACK, "average", seed)]

    assert right(3) == right(3)
    assert any(right(3) != right(seed) for seed in (4, 5, 6))
    bodies = [a.body() for a in work_sample_answers(PACK, "weak", 3)]
    assert len({b["idempotency_key"] for b in bodies}) == len(bodies)  # a retried save is stored once


def test_pauses_inside_an_answer_are_capped_below_the_end_of_speech_silence() -> None:
    rate = 16_000
    tone = (np.sin(np.arange(rate // 4) / 3) * 8000).astype(np.int16)
    speech = np.concatenate([tone, np.zeros(rate // 2, dtype=np.int16), tone, np.zeros(rate // 20, dtype=np.int16)])
    capped = cap_pauses(speech, rate, max_pause_s=0.15)
    quiet = np.abs(capped[len(tone) : -len(tone) - rate // 20]) <= 200
    assert len(capped) == len(speech) - (rate // 2 - int(0.15 * rate))
    assert quiet.all() and len(quiet) == int(0.15 * rate)  # the long pause is now 0.15 s
    assert np.array_equal(capped[-rate // 20 :], speech[-rate // 20 :])  # a short pause stays as it was
