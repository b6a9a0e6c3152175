"""Simulated learners with a hidden ground truth, to ask whether adaptive tutoring helps.

A simulated learner is not the tutor's model of a learner: it has its own hidden state (which
concepts it really knows) and its own numbers, drawn per learner and per concept. It answers an
exercise right with probability 1 - slip when it knows the concept and `guess` when it doesn't; an
exercise may teach the concept, much less likely while a direct prerequisite is unknown; and any
known concept it is not practising may be forgotten. Learners start with what their background
grade suggests, always consistent with the prerequisite graph.

Policies choose the next exercise from what they have seen so far (`Policy.choose`) and hear the
answer (`Policy.hear`); `run` plays one learner against one policy.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class World:
    """The curriculum as the simulator needs it: each concept's direct prerequisites and grade, and a
    valid learning order (prerequisites first)."""

    requires: Mapping[str, Sequence[str]]
    grade: Mapping[str, int]
    order: Sequence[str]

    def closure(self, target: str) -> list[str]:
        """`target` and everything it builds on, in learning order."""
        seen = {target}
        stack = [target]
        while stack:
            for need in self.requires.get(stack.pop(), ()):
                if need not in seen:
                    seen.add(need)
                    stack.append(need)
        return [c for c in self.order if c in seen]


def world_from(requires: Mapping[str, Sequence[str]], grade: Mapping[str, int]) -> World:
    """A World over these prerequisite edges, ordered prerequisites first, then by grade and id."""
    waiting = {c: sum(n in requires for n in needs) for c, needs in requires.items()}
    unlocks: dict[str, list[str]] = {}
    for concept, needs in requires.items():
        for need in needs:
            unlocks.setdefault(need, []).append(concept)
    ready = [(grade.get(c, 0), c) for c, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, concept = heapq.heappop(ready)
        order.append(concept)
        for after in unlocks.get(concept, ()):
            waiting[after] -= 1
            if waiting[after] == 0:
                heapq.heappush(ready, (grade.get(after, 0), after))
    if len(order) != len(requires):
        raise ValueError("the prerequisite graph has a cycle")
    return World(requires=dict(requires), grade=dict(grade), order=order)


@dataclass
class Learner:
    """Hidden truth: what is known, and this learner's chances per concept."""

    known: set[str]
    learn: dict[str, float]
    guess: dict[str, float]
    slip: dict[str, float]
    forget: float
    rng: random.Random = field(repr=False)

    def answer(self, concept: str) -> bool:
        if concept in self.known:
            return self.rng.random() >= self.slip[concept]
        return self.rng.random() < self.guess[concept]

    def practise(self, world: World, concept: str, among: Sequence[str]) -> None:
        """One exercise on `concept`: it may be learned; concepts not practised may be forgotten."""
        for other in among:
            if other != concept and other in self.known and self.rng.random() < self.forget:
                self.known.discard(other)
        if concept not in self.known:
            ready = all(need in self.known for need in world.requires.get(concept, ()))
            if self.rng.random() < self.learn[concept] * (1.0 if ready else 0.15):
                self.known.add(concept)


def make_learner(world: World, rng: random.Random) -> Learner:
    """A learner drawn from the simulator's population: an ability, a background grade (0-3) below
    which most concepts are known, per-concept learning, guess and slip chances."""
    ability = rng.lognormvariate(0.0, 0.35)
    background = rng.randrange(4)
    known: set[str] = set()
    for concept in world.order:
        ready = all(need in known for need in world.requires.get(concept, ()))
        if ready and world.grade.get(concept, 9) <= background and rng.random() < 0.85:
            known.add(concept)
    concepts = list(world.order)
    return Learner(
        known=known,
        learn={c: min(0.9, rng.uniform(0.08, 0.3) * ability) for c in concepts},
        guess={c: rng.uniform(0.1, 0.3) for c in concepts},
        slip={c: rng.uniform(0.04, 0.15) for c in concepts},
        forget=0.001,
        rng=rng,
    )


class Policy(Protocol):
    def choose(self) -> str: ...

    def hear(self, concept: str, correct: bool) -> None: ...


@dataclass
class Episode:
    """One learner's run: what was practised and answered, and when the target was really known."""

    concepts: list[str]
    answers: list[bool]
    mastered_at: int | None  # exercises done when the hidden state first had the target
    known_share: dict[int, float]  # after N exercises: share of the target's closure really known


def run(
    world: World,
    learner: Learner,
    policy: Policy,
    target: str,
    budget: int,
    checkpoints: Sequence[int] = (),
    stop: Callable[[Learner], bool] | None = None,
) -> Episode:
    """Play `policy` against `learner` for up to `budget` exercises towards `target`.

    The target counts as mastered when the learner really knows it (`stop` may say otherwise)."""
    among = world.closure(target)
    done = stop or (lambda who: target in who.known)
    episode = Episode([], [], 0 if done(learner) else None, {})
    for step in range(1, budget + 1):
        if episode.mastered_at is not None and step > max(checkpoints, default=0):
            break
        concept = policy.choose()
        correct = learner.answer(concept)
        learner.practise(world, concept, among)
        policy.hear(concept, correct)
        episode.concepts.append(concept)
        episode.answers.append(correct)
        if episode.mastered_at is None and done(learner):
            episode.mastered_at = step
        if step in checkpoints:
            episode.known_share[step] = sum(c in learner.known for c in among) / len(among)
    for n in checkpoints:  # stopped early: the state at the stop holds on
        episode.known_share.setdefault(n, sum(c in learner.known for c in among) / len(among))
    return episode


class FixedSyllabus:
    """The same order for everyone: `per_concept` exercises on each step of the path, then round again."""

    def __init__(self, path: Sequence[str], per_concept: int) -> None:
        self.plan = [c for c in path for _ in range(per_concept)]
        self.step = 0

    def choose(self) -> str:
        concept = self.plan[self.step % len(self.plan)]
        self.step += 1
        return concept

    def hear(self, concept: str, correct: bool) -> None:
        return None


class RandomOrder:
    """Any concept of the path, at random."""

    def __init__(self, path: Sequence[str], rng: random.Random) -> None:
        self.path, self.rng = list(path), rng

    def choose(self) -> str:
        return self.rng.choice(self.path)

    def hear(self, concept: str, correct: bool) -> None:
        return None
