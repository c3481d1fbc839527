"""The LLM interviewer's choices against an OpenAI-compatible fake_llm server on loopback (a hosted LLM cannot run here;
the fake_llm scripts the tool calls and records the requests). Real HTTP, the real openai client, no audio."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from livekit.agents import llm
from openai import AsyncOpenAI

from agent.conductor import Conductor
from agent.guardrails import ai_answer
from agent.llm_interviewer import LLMChooser, parse_tool_call
from agent.plan import InterviewPlan
from prompts.builtin import builtin_script
from tests.fake_llm import FakeLLM, Messages, tool_call

SCRIPT = builtin_script()
PLAN = InterviewPlan.from_script(SCRIPT)
EXPERIENCE = PLAN.questions[0]
ANSWER = (
    "I labeled sentiment in customer reviews for about a year, roughly four hundred items a day in Label Studio, "
    "and later drew bounding boxes on street images for a self-driving project that ran six months."
)


class Log:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, detail: dict[str, Any]) -> None:
        self.events.append((kind, detail))


def _chooser(fake_llm: FakeLLM, timeout_s: float = 4.0) -> LLMChooser:
    client = AsyncOpenAI(base_url=fake_llm.url, api_key="unused", max_retries=0)
    return LLMChooser(client, "fake-interviewer", SCRIPT, timeout_s)


def _on_first_question() -> tuple[Conductor, llm.ChatContext]:
    conductor = Conductor(PLAN)
    opening = conductor.opening()
    conductor.commit(opening.text)
    ctx = llm.ChatContext.empty()
    ctx.add_message(role="assistant", content=opening.text)
    ctx.add_message(role="user", content=ANSWER)
    return conductor, ctx


async def test_a_follow_up_chosen_by_the_model_is_what_the_agent_says(fake_llm: FakeLLM) -> None:
    follow_up = "Which of those projects was hardest to keep consistent, and why?"
    fake_llm.reply = lambda _m: tool_call("ask_follow_up", text=follow_up)
    conductor, ctx = _on_first_question()
    log = Log()
    decision = await _chooser(fake_llm).choose(conductor, ANSWER, ctx, log)
    assert (decision.kind, decision.text, decision.reason) == ("ask_follow_up", follow_up, "model_follow_up")
    assert conductor.commit(decision.text) == decision
    assert conductor.state.follow_ups_asked == (follow_up,) and conductor.state.open_prompt(PLAN) == follow_up
    assert log.events == [
        (
            "llm.tool_call",
            {"tool": "ask_follow_up", "arguments": {"text": follow_up}, "model": "fake-interviewer", "accepted": True},
        )
    ]
    # The request: temperature 0, the four tools, tool choice required, the versioned prompt and the question.
    body = fake_llm.requests[-1]
    assert body["temperature"] == 0 and body["tool_choice"] == "required"
    assert [t["function"]["name"] for t in body["tools"]] == [
        "ask_follow_up",
        "next_question",
        "repeat_question",
        "end_interview",
    ]
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    assert "never reveal" in system.lower() and "feedback" in system.lower()
    assert "Question 1 of 10" in user and ANSWER in user and "0 of 1 allowed" in user


async def test_the_models_transition_leads_into_the_plans_next_question(fake_llm: FakeLLM) -> None:
    fake_llm.reply = lambda _m: tool_call("next_question", transition="Thanks for walking me through that.")
    conductor, ctx = _on_first_question()
    decision = await _chooser(fake_llm).choose(conductor, ANSWER, ctx, Log())
    assert decision.kind == "next_question" and decision.question_id == PLAN.questions[1].id
    assert decision.text == f"Thanks for walking me through that. {PLAN.questions[1].prompt}"
    conductor.commit(decision.text)
    assert conductor.question_number() == 2 and conductor.state.statuses[0] == "answered"


async def test_a_model_that_hangs_falls_back_within_the_timeout(fake_llm: FakeLLM) -> None:
    fake_llm.delay_s = 5
    fake_llm.reply = lambda _m: tool_call("ask_follow_up", text="Tell me more?")
    conductor, ctx = _on_first_question()
    log = Log()
    started = time.monotonic()
    decision = await _chooser(fake_llm, timeout_s=0.5).choose(conductor, ANSWER, ctx, log)
    waited = time.monotonic() - started
    assert waited < fake_llm.delay_s  # the reply did not wait for the model (it never answered)
    assert decision == conductor.reply(ANSWER)  # the deterministic reply, said as if nothing happened
    assert decision.kind == "next_question" and "timeout" not in decision.text.lower()
    assert log.events == [("llm.fallback", {"reason": "timeout", "timeout_s": 0.5, "used": "next_question"})]


async def test_a_model_reading_a_look_for_aloud_is_blocked(fake_llm: FakeLLM) -> None:
    leaked = f"Could you say more? A strong answer {EXPERIENCE.look_fors[1].description.lower()}."
    fake_llm.reply = lambda _m: tool_call("ask_follow_up", text=leaked)
    conductor, ctx = _on_first_question()
    log = Log()
    decision = await _chooser(fake_llm).choose(conductor, ANSWER, ctx, log)
    assert decision.text != leaked and decision == conductor.reply(ANSWER)
    (kind, detail), *_ = log.events
    assert kind == "llm.tool_call" and detail["accepted"] is False and "rubric text" in detail["reason"]


@pytest.mark.parametrize(
    "reply",
    [
        "I think you should move on.",  # words instead of a tool call
        tool_call("skip_ahead"),  # a tool that does not exist
        tool_call("ask_follow_up", text="¿Podría darme un ejemplo concreto de ese proyecto?"),  # not English
        tool_call("end_interview"),  # the end before the last question: the plan decides
    ],
)
async def test_anything_but_an_allowed_english_tool_call_falls_back(
    fake_llm: FakeLLM, reply: str | dict[str, Any]
) -> None:
    fake_llm.reply = lambda _m: reply
    conductor, ctx = _on_first_question()
    log = Log()
    decision = await _chooser(fake_llm).choose(conductor, ANSWER, ctx, log)
    assert decision == conductor.reply(ANSWER)
    assert len(log.events) == 1 and (log.events[0][0] == "llm.fallback" or log.events[0][1]["accepted"] is False)


async def test_requests_are_answered_by_the_policy_without_asking_the_model(fake_llm: FakeLLM) -> None:
    fake_llm.reply = lambda _m: tool_call("ask_follow_up", text="Tell me more?")
    conductor, ctx = _on_first_question()
    for request, kind in (("Could you repeat that?", "repeat_question"), ("Are you an AI?", "answer_ai")):
        decision = await _chooser(fake_llm).choose(conductor, request, ctx, Log())
        assert decision.kind == kind
    assert ai_answer() in decision.text
    assert fake_llm.requests == []


async def test_an_endpoint_that_is_down_falls_back(fake_llm: FakeLLM) -> None:
    await fake_llm.stop()
    conductor, ctx = _on_first_question()
    log = Log()
    decision = await asyncio.wait_for(_chooser(fake_llm).choose(conductor, ANSWER, ctx, log), 10)
    assert decision == conductor.reply(ANSWER)
    assert log.events[0][0] == "llm.fallback" and log.events[0][1]["reason"] == "APIConnectionError"


def test_tool_calls_are_parsed_strictly() -> None:
    class Function:
        def __init__(self, name: str, arguments: str) -> None:
            self.name, self.arguments = name, arguments

    class Call:
        def __init__(self, name: str, arguments: str) -> None:
            self.function = Function(name, arguments)

    class Message:
        def __init__(self, *calls: Call) -> None:
            self.tool_calls = list(calls)

    assert parse_tool_call(Message(Call("repeat_question", "{}")))[0].tool == "repeat_question"
    for bad in (Message(), Message(Call("ask_follow_up", '{"text": ""}')), Message(Call("next_question", "[1]"))):
        with pytest.raises(ValueError):
            parse_tool_call(bad)


def _unused(messages: Messages) -> str:  # keeps Messages imported for readers of the fake_llm's reply type
    return str(len(messages))
