"""An OpenAI-compatible chat-completions endpoint on loopback. It stands in for a hosted LLM, which cannot run
here: tests script its replies, read the requests it got, and can take it down to see the fallbacks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request

from tests.conftest import free_port

Messages = list[dict[str, Any]]


@dataclass
class FakeLLM:
    """The fake endpoint: its base URL, the body of every request, the reply script, and a way to take it down."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    reply: Callable[[Messages], str | dict[str, Any]] = lambda _messages: ""  # content, or a whole message
    delay_s: float = 0.0
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        """Shut the endpoint down: later calls find nobody listening."""
        if self.server is not None and self.task is not None and not self.task.done():
            self.server.should_exit = True
            await self.task


def tool_call(name: str, **arguments: Any) -> dict[str, Any]:
    """An assistant message that calls one function, as an OpenAI-compatible server returns it."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": f"call_{name}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
        ],
    }


@asynccontextmanager
async def running_fake_llm() -> AsyncIterator[FakeLLM]:
    """Serve a FakeLLM on a free loopback port for the duration of the block."""
    port = free_port()
    fake = FakeLLM(url=f"http://127.0.0.1:{port}/v1")
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> dict[str, Any]:
        body = await request.json()
        fake.requests.append(body)
        if fake.delay_s:
            await asyncio.sleep(fake.delay_s)
        reply = fake.reply(body["messages"])
        message = reply if isinstance(reply, dict) else {"role": "assistant", "content": reply}
        return {
            "id": f"chatcmpl-fake-{len(fake.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {"index": 0, "message": message, "finish_reason": "tool_calls" if "tool_calls" in message else "stop"}
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }

    fake.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    fake.task = asyncio.create_task(fake.server.serve())
    while not fake.server.started:
        if fake.task.done():
            fake.task.result()
        await asyncio.sleep(0.02)
    try:
        yield fake
    finally:
        await fake.stop()
