"""What the three demo candidates answer: spoken answer sheets for the built-in ``data-annotator`` interview and
work-sample answers derived from a pack's ground truth, at three quality levels (strong, average, weak).

Pure and deterministic: ``server.demo`` speaks the sheets into a real WebRTC interview and submits the work samples
through the candidate API, so the demo's scorecards come from the same pipeline as any candidate's.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from prompts.answers import (
    AttentionAnswer,
    BoxAnswer,
    ClassificationAnswer,
    ImageAnswer,
    InstructionAnswer,
    NerAnswer,
    PairAnswer,
    SpanAnswer,
)
from prompts.taskpack import (
    AttentionItem,
    AttentionToDetailTask,
    ClassificationItem,
    ImageItem,
    ImageLabelsTask,
    InstructionFollowingTask,
    InstructionItem,
    LlmEvaluationTask,
    NerItem,
    NerTask,
    PairItem,
    Task,
    TaskItem,
    TaskPack,
    TextClassificationTask,
)
from scoring.grading.reference import reference_answer

Level = Literal["strong", "average", "weak"]
LEVELS: tuple[Level, ...] = get_args(Level)

NOTHING_TO_ADD = "I have nothing to add."


@dataclass(frozen=True)
class SpokenAnswer:
    """What a candidate says to a question: the answer, and what they add when the interviewer follows up."""

    main: str
    follow_up: str


# Answers to the built-in data-annotator script, by question id. Strong answers meet most look-fors with numbers,
# named tools and a concrete case; average ones meet one or two, vaguely; weak ones are short, vague or say
# "I don't know". Written for speech: no symbols, numbers as a person says them.
INTERVIEW_SHEETS: dict[Level, dict[str, SpokenAnswer]] = {
    "strong": {
        "experience": SpokenAnswer(
            "For two years I labeled text and images at Appen. I did sentiment classification and drew bounding "
            "boxes in Label Studio, about six hundred items per day. A typical day started with guideline updates, "
            "then focused labeling blocks and a short self review.",
            "One project was a nine month sentiment project for a retailer, about two hundred thousand reviews, "
            "where I also reviewed the work of three newer annotators.",
        ),
        "tools-throughput": SpokenAnswer(
            "Accuracy first, always. I use keyboard shortcuts and batch similar items together, and I track my pace "
            "per hour in a spreadsheet. If I am falling behind, I don't rush. I tell my lead early and we adjust "
            "the quota.",
            "For example, on a sentiment project the target was three hundred items a day, and hotkeys took me "
            "from forty to sixty items per hour.",
        ),
        "guideline-adherence": SpokenAnswer(
            "First I read the whole guideline twice and make a one page cheat sheet of the edge cases and examples. "
            "Then I do the practice or qualification batch and study the reviewer comments. Every week I reread the "
            "changelog, because rules change.",
            "On one project the definition of sarcasm changed in version three, so I updated my cheat sheet, "
            "relabeled my last fifty items and told the lead.",
        ),
        "ambiguity-escalation": SpokenAnswer(
            "On a product review project, one review mixed sarcasm and praise and no rule covered it. I don't "
            "guess, so I flagged it, posted it in the project Slack channel for the lead, and added the answer to "
            "our team FAQ.",
            "The lead decided that sarcasm counts as negative, and two days later that rule was added to the "
            "guideline for all forty annotators.",
        ),
        "guideline-disagreement": SpokenAnswer(
            "Yes, once a rule merged questions and complaints into one label. I still followed the rule so my "
            "labels stayed consistent, but I collected twelve examples and sent a short proposal to the lead "
            "through the feedback form. They changed it a week later.",
            "I would show the lead exactly which items suffer and explain why, and keep following the rule until "
            "it changes.",
        ),
        "golden-sets": SpokenAnswer(
            "I treat every item with the same care, since I can't tell which ones are gold anyway. They measure "
            "accuracy and calibrate the team. When I miss one, I reread the guideline clause, understand why, and "
            "adjust, or ask for clarification.",
            "Last year my quality score dropped from ninety six to ninety one percent on entity tagging, so I "
            "reviewed ten misses, found I was including titles, and fixed it.",
        ),
        "inter-annotator-agreement": SpokenAnswer(
            "First I would compare our labels side by side to find a pattern, like which categories we confuse. I "
            "would check Cohen's kappa per category, then discuss the cases with the other annotator, and ask the "
            "lead to clarify the guideline or hold a calibration session.",
            "Step one, pull the disagreeing items. Step two, sort them by category. Step three, discuss them "
            "together. Step four, get the decision of the lead written into the guideline.",
        ),
        "consistency": SpokenAnswer(
            "I work in fifty minute blocks with a ten minute break, because fatigue causes drift. I keep a decision "
            "log of tricky past decisions with examples, and at the end of the day I spot check twenty of my "
            "morning labels against it.",
            "The decision log helps most. A quick search there settles most repeat cases in a few seconds.",
        ),
        "rlhf-preference": SpokenAnswer(
            "Accuracy matters more than style, so I would prefer the plain correct answer. I would verify the "
            "suspicious detail in the official documentation, and my justification would quote the invented claim "
            "and explain exactly why it is wrong.",
            "It would say that response A cites a Stanford study from twenty nineteen that I could not find in any "
            "source, so A loses on accuracy, and B is correct.",
        ),
        "red-team-reporting": SpokenAnswer(
            "I would report it immediately through the incident form of the safety team. The report includes the "
            "exact prompt, the conversation ID, a timestamp and steps to reproduce, plus a severity and harm "
            "category. I would not share it or try it myself.",
            "Line one, high severity, physical harm. Line two, the exact prompt and conversation ID. Line three, "
            "the response, reproduced twice.",
        ),
    },
    "average": {
        "experience": SpokenAnswer(
            "I did some text labeling for about a year, mostly sentiment on product reviews. A normal day was just "
            "going through the queue and labeling as many as I could.",
            "One project was tagging customer reviews as positive or negative for about six months, on an internal "
            "tool.",
        ),
        "tools-throughput": SpokenAnswer(
            "I try to keep a steady pace and take short breaks. If I fall behind I work a bit faster, and maybe "
            "stay a little longer to finish the quota.",
            "I aimed for about two hundred items a day, and I used the keyboard to move between items.",
        ),
        "guideline-adherence": SpokenAnswer(
            "I read the guideline at the start and write down the main rules. Later I look at it again when "
            "something is unclear.",
            "When a rule changed, I read the email about it and tried to follow the new rule from then on.",
        ),
        "ambiguity-escalation": SpokenAnswer(
            "If something is unclear I flag it and ask someone on the team, then I label it the way they say.",
            "It was a review that was half positive and half negative, and I think we called it neutral in the end.",
        ),
        "guideline-disagreement": SpokenAnswer(
            "Yes, sometimes. I told my lead I didn't agree with it, but I kept labeling the way the guideline says.",
            "I would say which rule seems wrong to me and wait for their answer.",
        ),
        "golden-sets": SpokenAnswer(
            "They are used to check quality. If I get one wrong I look at the correct answer and try to learn from it.",
            "Once my score went down a little and I was more careful after that.",
        ),
        "inter-annotator-agreement": SpokenAnswer(
            "I would talk with the other annotator and compare a few items to see who is right, and then ask the "
            "lead if we still disagree.",
            "First I would look at some of the items we disagree on, then we would talk about them.",
        ),
        "consistency": SpokenAnswer(
            "I take a break when I get tired, and I try to keep the same rules in my head all day.",
            "Taking breaks, mostly, and a cup of coffee.",
        ),
        "rlhf-preference": SpokenAnswer(
            "I would pick the correct one, even if it is plain, because being right is more important. I would "
            "write that the other one might have a mistake.",
            "I would say the first one sounds nice but has a wrong fact in it.",
        ),
        "red-team-reporting": SpokenAnswer(
            "I would report it to my lead right away and send them a screenshot of the answer, so they can see "
            "what the model said.",
            "That the model gave dangerous instructions, and the screenshot.",
        ),
    },
    "weak": {
        "experience": SpokenAnswer("I did some labeling online. It was okay.", "Not much else, just small tasks."),
        "tools-throughput": SpokenAnswer("I just go faster when I'm behind.", "I don't really have an example."),
        "guideline-adherence": SpokenAnswer("I read it once and remember it.", "I would just start labeling."),
        "ambiguity-escalation": SpokenAnswer("I'd pick the closest label and move on.", "I can't remember the item."),
        "guideline-disagreement": SpokenAnswer(
            "I just label it my own way if the rule is wrong.", "I wouldn't say anything."
        ),
        "golden-sets": SpokenAnswer("I try to spot them and be careful on those.", "No, I can't remember that."),
        "inter-annotator-agreement": SpokenAnswer(
            "Maybe they are wrong. I would keep doing mine.", "I'd just keep labeling."
        ),
        "consistency": SpokenAnswer("I just keep going until I'm done.", "Nothing special."),
        "rlhf-preference": SpokenAnswer("I'd pick the one that reads better.", "That it sounds better."),
        "red-team-reporting": SpokenAnswer("I'd skip it and rate the next one.", "I don't know."),
    },
}

# For a question the sheets do not know (another script): something in character, never silence.
GENERIC_ANSWERS: dict[Level, SpokenAnswer] = {
    "strong": SpokenAnswer(
        "I would start from the guideline and its examples, flag anything unclear to the project lead, and check "
        "a sample of my own work every day, for example twenty items against my notes.",
        "On my last project that habit kept my quality score above ninety five percent.",
    ),
    "average": SpokenAnswer(
        "I would follow the guideline and ask my lead when something is unclear.",
        "I do not have a specific example, but that is how I usually work.",
    ),
    "weak": SpokenAnswer("I would just do my best.", "Nothing else."),
}


@dataclass
class AnswerSheet:
    """Follows one interview: the answer to a question the first time, its follow-up answer the second time,
    and "nothing to add" after that (a repeated question, a third prompt)."""

    level: Level
    answers: Mapping[str, SpokenAnswer]
    said: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_level(cls, level: Level, sheets: Mapping[Level, Mapping[str, SpokenAnswer]] | None = None) -> AnswerSheet:
        """The sheet of a quality level (the built-in sheets unless others are given)."""
        return cls(level, (sheets or INTERVIEW_SHEETS)[level])

    def answer(self, question_id: str) -> SpokenAnswer:
        """The prepared answers to a question, or the level's generic ones."""
        return self.answers.get(question_id, GENERIC_ANSWERS[self.level])

    def reply(self, question_id: str) -> str:
        """What to say now about ``question_id``; remembers that it was said."""
        times = self.said.get(question_id, 0)
        self.said[question_id] = times + 1
        answer = self.answer(question_id)
        return answer.main if times == 0 else answer.follow_up if times == 1 else NOTHING_TO_ADD

    def texts(self, question_ids: list[str]) -> list[str]:
        """Everything this sheet may say in an interview with these questions (to synthesize ahead)."""
        said = [text for q in question_ids for text in (self.answer(q).main, self.answer(q).follow_up)]
        return [*dict.fromkeys([*said, NOTHING_TO_ADD])]


# --- work samples ------------------------------------------------------------------------------------------

CORRECT_SHARE: dict[Level, float] = {"strong": 0.95, "average": 0.70, "weak": 0.35}
"""Share of work-sample items a level answers from the ground truth; the others get a plausible wrong answer."""


@dataclass(frozen=True)
class ItemAnswer:
    """One work-sample item's answer as the candidate API takes it, and whether it was meant to be right."""

    task_id: str
    item_id: str
    answer: Any  # one of prompts.answers' models
    correct: bool

    def body(self) -> dict[str, Any]:
        """The JSON the candidate API expects for this item."""
        return {"answer": self.answer.model_dump(mode="json"), "idempotency_key": f"demo-{self.task_id}-{self.item_id}"}


def work_sample_answers(pack: TaskPack, level: Level, seed: int) -> list[ItemAnswer]:
    """Answers to every item of ``pack``: ``CORRECT_SHARE[level]`` of them (rounded, chosen by ``seed``) right."""
    items: list[tuple[Task, TaskItem]] = [(task, item) for task in pack.tasks for item in task.items]
    rng = random.Random(f"gaia-demo:{pack.id}:{level}:{seed}")
    order = list(range(len(items)))
    rng.shuffle(order)
    right = set(order[: round(CORRECT_SHARE[level] * len(items))])
    return [
        ItemAnswer(task.id, item.id, good_answer(task, item) if i in right else wrong_answer(task, item), i in right)
        for i, (task, item) in enumerate(items)
    ]


def good_answer(task: Task, item: TaskItem) -> Any:
    """The ground truth as a careful annotator gives it: ambiguous items flagged with a note, justifications that
    name the deciding details."""
    if isinstance(task, TextClassificationTask) and isinstance(item, ClassificationItem):
        label = item.ground_truth
        if item.may_flag_ambiguous and label.rationale:
            return ClassificationAnswer(label=label.label, flagged_ambiguous=True, note=label.rationale)
    if isinstance(task, LlmEvaluationTask) and isinstance(item, PairItem):
        truth = item.ground_truth
        choice = "It is a tie" if truth.preference == "tie" else f"I prefer response {truth.preference}"
        points = "; ".join(f"{p.description.lower()} ({p.phrases[0]})" for p in truth.justification_points)
        return PairAnswer(
            preference=truth.preference,
            ratings_a=truth.ratings_a,
            ratings_b=truth.ratings_b,
            justification=f"{choice}. What decided it: {points}. I checked each concrete claim before rating "
            "accuracy, and accuracy counted for more than style.",
        )
    return reference_answer(task, item)


def wrong_answer(task: Task, item: TaskItem) -> Any:
    """A plausible answer a hurried annotator gives, which the grader scores at or near zero."""
    if isinstance(task, TextClassificationTask) and isinstance(item, ClassificationItem):
        labels = [label.id for label in task.labels]
        return ClassificationAnswer(label=labels[(labels.index(item.ground_truth.label) + 1) % len(labels)])
    if isinstance(task, NerTask) and isinstance(item, NerItem):
        types = [t.id for t in task.entity_types]
        first = item.ground_truth.spans[0] if item.ground_truth.spans else None
        if first is None:
            return NerAnswer(spans=[SpanAnswer(start=0, end=1, type=types[0])])
        wrong_type = types[(types.index(first.type) + 1) % len(types)] if first.type in types else types[0]
        return NerAnswer(spans=[SpanAnswer(start=first.start, end=first.end, type=wrong_type)])
    if isinstance(task, ImageLabelsTask) and isinstance(item, ImageItem):
        classes = [c.id for c in task.classes]
        truth_class = item.ground_truth.image_class
        other = classes[(classes.index(truth_class) + 1) % len(classes)] if truth_class in classes else classes[0]
        width, height = item.asset.width or 100, item.asset.height or 100
        label = task.box_labels[0] if task.box_labels else "object"
        # One box in a corner where the ground truth has nothing.
        return ImageAnswer(image_class=other, boxes=[BoxAnswer(label=label, x=0, y=0, w=width / 8, h=height / 8)])
    if isinstance(task, AttentionToDetailTask) and isinstance(item, AttentionItem):
        differing = set(item.ground_truth.discrepancies)
        unchanged = [f.name for f in item.fields if f.name not in differing]
        return AttentionAnswer(discrepancies=unchanged[:1] or [item.fields[0].name])
    if isinstance(task, InstructionFollowingTask) and isinstance(item, InstructionItem):
        return InstructionAnswer(text="Sure! I had a look and I think it is fine as it is. Hope this helps!")
    assert isinstance(task, LlmEvaluationTask) and isinstance(item, PairItem)
    truth = item.ground_truth
    flipped: Literal["A", "B"] = "B" if truth.preference == "A" else "A"
    return PairAnswer(
        preference=flipped,
        ratings_a=truth.ratings_b,
        ratings_b=truth.ratings_a,
        justification="This one reads better to me.",
    )
