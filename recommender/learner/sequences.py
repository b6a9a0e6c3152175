"""Response sequences: which skill each answer exercised and whether it was right.

Knowledge tracing reads a learner's answers in order and predicts the next one. The same shape
serves the tutor's own graded events (a concept per answer) and the public ASSISTments 2009
benchmark (`load_assist`), so the models are compared on both with one evaluator.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PRACTICE_PASS = 0.8  # a recording counts as a right answer when this share of its notes was right


@dataclass(frozen=True, slots=True)
class Responses:
    """One learner's answers in time order: skill ids (0-based) and correctness (0/1)."""

    learner: str
    skills: tuple[int, ...]
    correct: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.skills) != len(self.correct):
            raise ValueError(f"{self.learner}: {len(self.skills)} skills but {len(self.correct)} answers")
        if any(c not in (0, 1) for c in self.correct):
            raise ValueError(f"{self.learner}: correctness must be 0 or 1")
        if any(s < 0 for s in self.skills):
            raise ValueError(f"{self.learner}: skill ids must not be negative")

    def __len__(self) -> int:
        return len(self.skills)


def n_skills(data: Iterable[Responses]) -> int:
    """One more than the largest skill id: the size of a skill table."""
    return 1 + max((max(r.skills) for r in data if len(r)), default=-1)


def load_assist(path: Path) -> list[Responses]:
    """An ASSISTments file in the DKVMN layout: per learner three lines, the number of responses,
    the skill ids (1-based) and the correctness, comma-separated. Skill ids become 0-based."""
    lines = [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if len(lines) % 3:
        raise ValueError(f"{path}: {len(lines)} lines, not a multiple of 3 (count, skills, answers)")
    out = []
    for k in range(0, len(lines), 3):
        count = int(lines[k])
        skills = tuple(int(x) - 1 for x in lines[k + 1].rstrip(",").split(","))
        correct = tuple(int(x) for x in lines[k + 2].rstrip(",").split(","))
        if len(skills) != count or len(correct) != count:
            raise ValueError(f"{path}:{k + 1}: {count} responses announced, "
                             f"{len(skills)} skills and {len(correct)} answers given")
        out.append(Responses(f"{Path(path).stem}:{k // 3}", skills, correct))
    return out


def split_learners(
    data: Sequence[Responses], share: float, seed: int = 0
) -> tuple[list[Responses], list[Responses]]:
    """(rest, held out): a seeded share of the learners, whole sequences, held out."""
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    cut = round(len(data) * share)
    if share > 0 and len(data) > 1:
        cut = min(max(cut, 1), len(data) - 1)  # both sides keep at least one learner
    held = set(order[:cut])
    return [r for i, r in enumerate(data) if i not in held], [r for i, r in enumerate(data) if i in held]


def answer_auc(predicted: Sequence[np.ndarray], data: Sequence[Responses]) -> float:
    """AUC of the predicted chance of each answer being right against the answers given: the
    knowledge-tracing metric, over every answer of every learner in `data`."""
    from sklearn.metrics import roc_auc_score

    answers = np.concatenate([np.array(r.correct) for r in data])
    return float(roc_auc_score(answers, np.concatenate(predicted)))


def graded_sequences(
    events: Iterable[Any], index: dict[str, int] | None = None
) -> tuple[list[Responses], dict[str, int]]:
    """The tutor's own logs as knowledge-tracing data: each learner's graded answers in time order.

    `events` are the conversation store's behaviour events (anything with `learner_id`, `kind`,
    `concept`, `outcome`, `at`): quiz answers ("correct" / "wrong") and practice results (right when
    the recording scored at least PRACTICE_PASS). Concepts get skill ids from `index`, extended with
    any concept it lacks; the index is returned with the sequences."""
    index = dict(index or {})
    by_learner: dict[str, list[tuple[Any, int, int]]] = {}
    for k, event in enumerate(events):
        if event.concept is None:
            continue
        if event.kind == "quiz_answer" and event.outcome in ("correct", "wrong"):
            right = int(event.outcome == "correct")
        elif event.kind == "practice_result" and event.value is not None:
            right = int(float(event.value) >= PRACTICE_PASS)
        else:
            continue
        skill = index.setdefault(event.concept, len(index))
        by_learner.setdefault(event.learner_id, []).append(((event.at, k), skill, right))
    out = []
    for learner, rows in by_learner.items():
        rows.sort(key=lambda row: row[0])
        out.append(Responses(learner, tuple(s for _, s, _ in rows), tuple(c for _, _, c in rows)))
    return out, index


def held_out_split(
    data: Sequence[Responses], seed: int = 0, minimum: int = 6
) -> tuple[list[Responses], list[Responses], list[Responses]]:
    """(train, valid, test) for comparing knowledge-tracing models: a third of the learners with
    answers held out whole for testing, a tenth of the rest for early stopping. Raises ValueError when
    there are too few learners, or the held-out answers are all right or all wrong (no AUC then)."""
    data = [r for r in data if len(r)]
    test = data[: len(data) // 3]
    if len(data) < minimum or {a for r in test for a in r.correct} != {0, 1}:
        raise ValueError(f"too few graded answers: {len(data)} learners with answers (at least "
                         f"{minimum}, and right and wrong answers among the held-out ones)")
    train, valid = split_learners(data[len(data) // 3 :], 0.1, seed)
    return train, valid, test
