"""Candidate views carry no ground truth, and the per-invitation order is reproducible from its seed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from prompts.builtin import builtin_pack, builtin_script
from prompts.public import public_pack, public_script
from prompts.randomize import materialize


def _url(task_id: str, item_id: str) -> str:
    return f"/assets/{task_id}/{item_id}"


def test_public_pack_json_has_no_ground_truth() -> None:
    pack = builtin_pack()
    text = public_pack(pack, materialize(pack, 7), _url).model_dump_json()
    for word in ("ground_truth", "rationale", "reference_answer", "justification_points", "boxes", "sha256"):
        assert word not in text
    for task in pack.tasks:
        for item in task.items:
            truth = item.ground_truth.model_dump_json()
            assert truth not in text


def test_public_script_hides_questions_and_look_fors() -> None:
    script = builtin_script()
    text = public_script(script).model_dump_json()
    for question in script.questions():
        assert question.prompt not in text
        for look_for in question.look_fors:
            assert look_for.description not in text
    assert public_script(script).question_count == len(script.questions())


@settings(max_examples=50)
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_same_seed_same_order_and_every_item_once(seed: int) -> None:
    pack = builtin_pack()
    first, second = materialize(pack, seed), materialize(pack, seed)
    assert first == second
    for task, order in zip(pack.tasks, first.tasks, strict=True):
        assert sorted(order.item_ids) == sorted(item.id for item in task.items)


def test_different_seeds_shuffle_items_and_options() -> None:
    pack = builtin_pack()
    orders = {materialize(pack, seed).tasks for seed in range(20)}
    assert len(orders) > 1
    option_orders = {materialize(pack, seed).tasks[2].option_ids for seed in range(20)}
    assert len(option_orders) > 1


def test_public_items_follow_the_materialized_order() -> None:
    pack = builtin_pack()
    order = materialize(pack, 12345)
    view = public_pack(pack, order, _url)
    for public_task, task_order in zip(view.tasks, order.tasks, strict=True):
        assert tuple(item.id for item in public_task.items) == task_order.item_ids
    assert view.item_count == sum(len(t.items) for t in pack.tasks)
