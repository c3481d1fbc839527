"""Guardrails on what the interviewer says: no rubric text aloud, an honest answer to "are you an AI?".

Both interviewer policies run their utterances through ``leaks_rubric`` (the LLM one to block a line
before it is spoken; the deterministic one in tests, over every line it can produce). Matching works on
normalized tokens (case, punctuation and apostrophes dropped) because STT and LLM output vary in exactly
those. Pure: stdlib and the script schema only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from prompts.script import FOLLOW_UP_KINDS, InterviewScript

# "a.i." → "ai": Whisper and LLMs spell acronyms with dots as often as without.
_ACRONYM_DOT = re.compile(r"(?<=\b[a-z])\.(?=[a-z]\b)")

# A description read partly aloud is still a leak: any run of this many of its words counts.
DESCRIPTION_WINDOW = 5
# Example answers are ordinary speech, so short runs of them ("at the end of the day") are not leaks.
EXAMPLE_WINDOW = 8
# One look-for phrase said in passing is ordinary English ("accuracy", "review"); several single-word
# phrases of the same look-for in one line read like its list.
SINGLE_WORD_PHRASES_FOR_LEAK = 3
PHRASE_MAX_SUFFIX = 4  # as scoring.interview.EmbeddedConfig.phrase_max_suffix: "shortcut" finds "shortcuts"
# Words about the rubric itself; none belongs in an interviewer's mouth.
INTERNAL_TERMS = (
    "rubric", "look for", "look fors", "lookfor", "lookfors", "follow up rule", "follow up rules", "min coverage",
    "max words", "max follow ups", "coverage", "scoring criteria", "scoring guide", "process maturity", "role fit",
    "strong answer", "ideal answer", "expected answer", "right answer is", "dimension weights",
)  # fmt: skip

_AI_QUESTION = re.compile(
    r"\b("
    r"are you (an? |actually an? |really an? )?(ai|artificial intelligence|robot|bot|chatbot|machine|computer|program"
    r"|real|human|real person|person|live person|recording|automated|chatgpt|gpt)"
    r"|(am i|are we) (talking|speaking|chatting) (to|with) (an? )?(ai|bot|robot|machine|computer|program|real person"
    r"|person|human|real human|live person)"
    r"|is (this|that|it) (an? )?(ai|bot|robot|chatbot|machine|computer|recording|automated|real person|person|human"
    r"|live person)"
    r"|is this interview (automated|done by an ai|run by an ai)"
    r"|who am i (talking|speaking) (to|with)"
    r")\b"
)


def tokens(text: str) -> list[str]:
    """Lowercase word tokens: apostrophes dropped ("don't" → "dont"), other punctuation splits words."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "").replace("'", "")
    text = _ACRONYM_DOT.sub("", text)
    return re.sub(r"[^\w]+|_", " ", text).split()


def normalized(text: str) -> str:
    """The text as space-joined ``tokens``, for phrase patterns."""
    return " ".join(tokens(text))


def is_ai_question(text: str) -> bool:
    """Whether the candidate asks if they are talking to an AI, a bot or a person."""
    return _AI_QUESTION.search(normalized(text)) is not None


def ai_answer(organization: str | None = None) -> str:
    """The honest answer to "are you an AI?", naming who reviews the interview when known."""
    reviewer = f"A person at {organization}" if organization else "A person on the hiring team"
    return f"Yes, I'm GAIA, an AI interviewer. {reviewer} reviews this conversation and makes the hiring decision."


_ENGLISH_WORDS = frozenset(
    "the a an and or but to of in on at for with is are was be it this that you your i we can could would "
    "please thank thanks let lets how what why when which do did does have has tell about more me us one".split()
)


def looks_english(text: str) -> bool:
    """Whether a line reads as English: Latin letters, and common English words in any line of four or more."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters or sum(ch.isascii() for ch in letters) / len(letters) < 0.95:
        return False
    words = tokens(text)
    return len(words) < 4 or any(w in _ENGLISH_WORDS for w in words)


def spoken_lines(script: InterviewScript) -> list[str]:
    """Every line the script's author wrote to be said aloud: opening, questions, clarifications, follow-ups, closing."""
    lines = [script.opening, script.closing]
    for q in script.questions():
        lines.append(q.prompt)
        if q.clarification:
            lines.append(q.clarification)
        lines.extend(rule.text for rule in q.follow_ups)
    return lines


def find_phrase(toks: Sequence[str | None], phrase: Sequence[str], max_suffix: int = 0) -> list[int]:
    """Where ``phrase`` starts in ``toks``; its last word may carry ``max_suffix`` more letters ("flag" → "flagged")."""
    k = len(phrase)
    if k == 0:
        return []
    hits: list[int] = []
    for i in range(len(toks) - k + 1):
        last = toks[i + k - 1]
        if (
            last is not None
            and last.startswith(phrase[-1])
            and len(last) - len(phrase[-1]) <= max_suffix
            and all(toks[i + j] == phrase[j] for j in range(k - 1))
        ):
            hits.append(i)
    return hits


def _masked(toks: list[str], lines: list[list[str]]) -> list[str | None]:
    """The tokens with every verbatim occurrence of an authored line blanked, so only other words are judged."""
    out: list[str | None] = list(toks)
    for line in lines:
        for start in find_phrase(toks, line):
            for i in range(start, start + len(line)):
                out[i] = None
    return out


def _run_said(toks: Sequence[str], text: Sequence[str], window: int) -> bool:
    """Whether ``window`` consecutive words of ``text`` (all of it, when shorter) were said."""
    if len(text) <= window:
        return bool(find_phrase(toks, text))
    return any(find_phrase(toks, text[i : i + window]) for i in range(len(text) - window + 1))


def _identifiers(script: InterviewScript) -> list[str]:
    """Internal names that only a leak would say: rule tags and ids written with ``-`` or ``_``."""
    ids = [*FOLLOW_UP_KINDS, *script.dimensions()]
    for q in script.questions():
        ids.append(q.id)
        ids.extend(lf.id for lf in q.look_fors)
    return [i for i in dict.fromkeys(ids) if "-" in i or "_" in i]


def leaks_rubric(utterance: str, script: InterviewScript) -> list[str]:
    """Rubric text found in an agent utterance: look-for descriptions, examples and phrases, rule and scoring
    internals.

    The script's own spoken lines are allowed verbatim (a question may well contain a look-for word);
    everything else in the utterance is judged: a run of ``DESCRIPTION_WINDOW`` words of a look-for
    description or ``EXAMPLE_WINDOW`` words of one of its example answers (checked even inside authored lines:
    neither is ever meant to be heard), a multi-word look-for phrase, ``SINGLE_WORD_PHRASES_FOR_LEAK`` single-word phrases of one look-for,
    an ``INTERNAL_TERMS`` term, or a rule tag or internal id as written in the script.
    """
    toks = tokens(utterance)
    masked = _masked(toks, [line for line in map(tokens, spoken_lines(script)) if len(line) >= 3])
    found: list[str] = []
    for q in script.questions():
        for look_for in q.look_fors:
            if _run_said(toks, tokens(look_for.description), DESCRIPTION_WINDOW):
                found.append(look_for.description)
            # An example answer read out coaches the candidate as much as a description does.
            found.extend(e for e in look_for.examples if _run_said(toks, tokens(e), EXAMPLE_WINDOW))
            singles: list[str] = []
            for phrase in look_for.phrases:
                wanted = tokens(phrase)
                if not wanted or not find_phrase(masked, wanted, PHRASE_MAX_SUFFIX):
                    continue
                if len(wanted) >= 2:
                    found.append(phrase)
                else:
                    singles.append(phrase)
            if len(singles) >= SINGLE_WORD_PHRASES_FOR_LEAK:
                found.extend(singles)
    found.extend(term for term in INTERNAL_TERMS if find_phrase(masked, term.split()))
    raw = unicodedata.normalize("NFKC", utterance).casefold()
    found.extend(i for i in _identifiers(script) if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", raw))
    return list(dict.fromkeys(found))
