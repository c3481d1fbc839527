"""Image labels: the whole-image class, and boxes matched one-to-one by IoU (Hungarian assignment)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from prompts.answers import BoxAnswer, ImageAnswer
from prompts.taskpack import Box, ImageItem, ImageLabelsTask, TaskPack
from scoring.grading.common import finish, grade_items
from scoring.grading.ner import prf
from scoring.grading.result import ItemGrade, TaskGrade


def iou(a: Box | BoxAnswer, b: Box | BoxAnswer) -> float:
    """Intersection over union of two axis-aligned boxes."""
    width = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    height = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / (a.w * a.h + b.w * b.h - inter)


def match_boxes(gold: Sequence[Box], pred: Sequence[BoxAnswer], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs (gold index, predicted index, IoU) of same-label boxes at or above the threshold: as many pairs
    as possible, then the largest total IoU among those."""
    if not gold or not pred:
        return []
    # Each valid pair is worth more than every IoU together, so the count of matches comes first.
    bonus = len(gold) + len(pred) + 1.0
    weights = np.zeros((len(gold), len(pred)))
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            overlap = iou(g, p)
            if g.label == p.label and overlap >= threshold:
                weights[i, j] = bonus + overlap
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [
        (int(i), int(j), float(weights[i, j] - bonus)) for i, j in zip(rows, cols, strict=True) if weights[i, j] > 0
    ]


def grade_images(pack: TaskPack, task: ImageLabelsTask, answers: Mapping[str, ImageAnswer | None]) -> TaskGrade:
    """Item score = points × (½ class correct + ½ box F1); an image with no boxes expects none."""
    found: dict[str, tuple[bool, list[tuple[int, int, float]], int]] = {}  # item id -> class ok, matches, boxes drawn

    def grade_one(item: ImageItem, answer: ImageAnswer, points: float) -> ItemGrade:
        gold = item.ground_truth.boxes
        class_ok = answer.image_class == item.ground_truth.image_class
        matches = match_boxes(gold, answer.boxes, task.iou_threshold)
        found[item.id] = (class_ok, matches, len(answer.boxes))
        _, _, box_f1 = prf(len(matches), len(answer.boxes), len(gold))
        details = [
            f"class '{answer.image_class}' correct"
            if class_ok
            else f"class: expected '{item.ground_truth.image_class}', answered '{answer.image_class}'",
            f"boxes: {len(matches)} of {len(gold)} found at IoU ≥ {task.iou_threshold}, "
            f"{len(answer.boxes) - len(matches)} extra (F1 {box_f1:.2f})",
        ]
        details += [f"matched {gold[i].label} with IoU {overlap:.2f}" for i, _, overlap in matches]
        matched_gold = {i for i, _, _ in matches}
        details += [f"missed {g.label} at ({g.x:.0f}, {g.y:.0f})" for i, g in enumerate(gold) if i not in matched_gold]
        return ItemGrade(item.id, points * (0.5 * class_ok + 0.5 * box_f1), points, tuple(details))

    grades = grade_items(pack, task, task.items, answers, grade_one)
    classes_right = sum(ok for ok, _, _ in found.values())
    tp_total = sum(len(matches) for _, matches, _ in found.values())
    pred_total = sum(drawn for _, _, drawn in found.values())
    gold_total = sum(len(item.ground_truth.boxes) for item in task.items)
    ious = [overlap for _, matches, _ in found.values() for _, _, overlap in matches]
    precision, recall, f1 = prf(tp_total, pred_total, gold_total)
    metrics = {
        "class_accuracy": classes_right / len(task.items),
        "box_precision": precision,
        "box_recall": recall,
        "box_f1": f1,
        "mean_iou": float(np.mean(ious)) if ious else 0.0,
    }
    return finish(task.id, task.type, grades, answers, metrics)
