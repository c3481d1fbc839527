"""A model's JSON reply read into a pydantic model. A ```json fence around it is tolerated; anything else wrong
becomes one sentence that a corrective retry can repeat back to the model."""

from __future__ import annotations

import json
import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)

M = TypeVar("M", bound=BaseModel)


def parse_model_reply(raw: str, model: type[M], what: str, error: type[Exception]) -> M:
    """``raw`` as ``model``; raises ``error`` saying whether it was not JSON or not ``what`` (and where)."""
    text = raw.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in exc.errors())
        raise error(f"not {what} ({problems})") from exc
