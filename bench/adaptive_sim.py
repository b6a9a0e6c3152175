"""Does adaptivity help? The adaptive tutor against a fixed syllabus and random order, on simulated
learners with their own hidden ground truth; and knowledge tracing on the simulated answers.

    .venv/bin/python bench/adaptive_sim.py [--learners 300] [--budget 400] [--seed 0]

Each simulated learner (recommender.learner.simulator: BKT-style learning and forgetting over the
curriculum's prerequisite graph, with per-learner and per-concept numbers the tutor never sees) is
given a target concept and taught three ways, each on an identical copy of the learner:

- adaptive: the tutor's own logic. Its mastery model (recommender.learner.mastery) hears every
  answer; the next exercise is the first step of the knowledge graph's learning path to the target
  given what the model thinks is mastered and doubtful (what `next_lesson` does);
- fixed syllabus: every concept of the target's path in the curriculum's order, `--per-concept`
  exercises each (the tutor's quiz length, 5), again from the start if the target is still unknown;
- random order: any concept of the path, at random.

Reported: exercises until the learner really knows the target and everything it builds on (mean,
95% bootstrap CI; learners not there within the budget count as the budget), and the share of the
path really known after 25/50/100 exercises. Target (issue 6): adaptive needs ≥ 30% fewer
exercises than the fixed syllabus. Then the knowledge-tracing part: AUC of BKT (fitted by EM), SAKT
and the tutor's online model on held-out simulated answer sequences.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import machine_info, save_report  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

REPORTS = ROOT / "bench" / "reports"
TARGET_REDUCTION = 0.30
CHECKPOINTS = (25, 50, 100)
console = Console(stderr=True)


class AdaptiveTutor:
    """The tutor's choice of the next exercise, driven by its mastery model."""

    def __init__(self, graph: Any, prerequisites: Any, target: str) -> None:
        from recommender.learner.mastery import Mastery

        self.graph, self.target = graph, target
        self.mastery = Mastery(graph=prerequisites)
        self.clock = 0.0

    def choose(self) -> str:
        mastery = self.mastery
        path = self.graph.learning_path(self.target, mastery.mastered(), doubtful=mastery.doubtful())
        return path[0].id if path else self.target

    def hear(self, concept: str, correct: bool) -> None:
        self.clock += 60.0  # an exercise a minute: well inside every half-life
        self.mastery.observe(concept, 1.0 if correct else 0.0, self.clock)


def bootstrap(values: list[float], rng: random.Random, rounds: int = 2000) -> tuple[float, float]:
    """95% percentile interval of the mean."""
    means = sorted(statistics.fmean(rng.choices(values, k=len(values))) for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]


def paired_reduction(
    adaptive: list[float], fixed: list[float], rng: random.Random
) -> tuple[float, float, float]:
    """1 - mean(adaptive) / mean(fixed), with a 95% interval from resampling learners (paired)."""
    pairs = list(zip(adaptive, fixed, strict=True))
    point = 1 - statistics.fmean(adaptive) / statistics.fmean(fixed)
    draws = []
    for _ in range(2000):
        sample = rng.choices(pairs, k=len(pairs))
        draws.append(1 - statistics.fmean(a for a, _ in sample) / statistics.fmean(f for _, f in sample))
    draws.sort()
    return point, draws[50], draws[1949]


def pick_targets(world: Any, count: int, rng: random.Random) -> list[str]:
    """Grade 4-5 concepts with a path of 8 to 25 concepts: far enough to need a plan."""
    fitting = [c for c in world.order if world.grade[c] in (4, 5) and 8 <= len(world.closure(c)) <= 25]
    return sorted(rng.sample(fitting, min(count, len(fitting))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--budget", type=int, default=400)
    parser.add_argument("--per-concept", type=int, default=5)
    parser.add_argument("--targets", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kt-learners", type=int, default=600, help="simulated learners for the KT part")
    parser.add_argument("--logged-learners", type=int, default=200,
                        help="simulated learners quizzed through the real tutor for the logged KT part")
    parser.add_argument("--report", default="adaptive_sim")
    args = parser.parse_args()

    import torch

    from kg.build import build_graph
    from kg.curriculum import load_curriculum
    from kg.embedded import EmbeddedStore
    from kg.graph import KnowledgeGraph
    from recommender.learner.mastery import Prerequisites
    from recommender.learner.simulator import FixedSyllabus, RandomOrder, make_learner, run, world_from

    torch.set_num_threads(2)
    concepts = load_curriculum()
    requires = {f"concept:{c.id}": [f"concept:{r}" for r in c.requires] for c in concepts}
    world = world_from(requires, {f"concept:{c.id}": c.grade for c in concepts})
    prerequisites = Prerequisites(requires)
    home = Path(tempfile.mkdtemp(prefix="etude-sim-"))
    store = EmbeddedStore(home / "graph.db")
    build_graph(store, ROOT / "data", corpus=False)
    graph = KnowledgeGraph(store)
    rng = random.Random(args.seed)
    targets = pick_targets(world, args.targets, rng)
    console.print(f"targets: {', '.join(t.removeprefix('concept:') for t in targets)}")

    policies = ("adaptive", "fixed syllabus", "random order")
    steps: dict[str, list[float]] = {p: [] for p in policies}
    reached: dict[str, int] = dict.fromkeys(policies, 0)
    shares: dict[str, dict[int, list[float]]] = {p: {n: [] for n in CHECKPOINTS} for p in policies}
    started = time.perf_counter()
    for i in range(args.learners):
        target = targets[i % len(targets)]
        path = [n.id for n in graph.learning_path(target, [])]
        for name in policies:
            learner = make_learner(world, random.Random(f"{args.seed}:{i}"))
            policy = (AdaptiveTutor(graph, prerequisites, target) if name == "adaptive"
                      else FixedSyllabus(path, args.per_concept) if name == "fixed syllabus"
                      else RandomOrder(path, random.Random(f"{args.seed}:{i}:order")))
            episode = run(world, learner, policy, target, args.budget, CHECKPOINTS)
            steps[name].append(float(episode.mastered_at if episode.mastered_at is not None else args.budget))
            reached[name] += episode.mastered_at is not None
            for n in CHECKPOINTS:
                shares[name][n].append(episode.known_share[n])
        if (i + 1) % 50 == 0:
            console.print(f"{i + 1}/{args.learners} learners ({time.perf_counter() - started:.0f} s)")
    teaching_s = time.perf_counter() - started

    ci_rng = random.Random(args.seed + 1)
    results: dict[str, Any] = {}
    for name in policies:
        low, high = bootstrap(steps[name], ci_rng)
        results[name] = {
            "exercises_mean": round(statistics.fmean(steps[name]), 1),
            "exercises_ci95": [round(low, 1), round(high, 1)],
            "exercises_median": statistics.median(steps[name]),
            "reached_within_budget": reached[name],
            "known_share": {
                str(n): {"mean": round(statistics.fmean(v), 3),
                         "ci95": [round(x, 3) for x in bootstrap(v, ci_rng)]}
                for n, v in shares[name].items()
            },
        }
    reduction = paired_reduction(steps["adaptive"], steps["fixed syllabus"], ci_rng)
    simulated = simulated_sequences(world, args.kt_learners, args.seed)
    kt = {"simulated": {**knowledge_tracing(simulated, world, prerequisites, args.seed, console),
                        "source": "simulator (fixed and random policies), 150 exercises each"}}
    began = time.perf_counter()
    logs = logged_sequences(world, graph, home, args.logged_learners, args.seed)
    took = time.perf_counter() - began
    console.print(f"logged {sum(map(len, logs))} answers through the tutor in {took:.0f} s")
    kt["logged"] = {**knowledge_tracing(logs, world, prerequisites, args.seed, console),
                    "source": "the tutor's conversation store, after quizzes driven through the real engine"}
    graph.store.close()

    report = {
        "machine": machine_info(),
        "command": "bench/adaptive_sim.py " + " ".join(sys.argv[1:]),
        "learners": args.learners,
        "budget": args.budget,
        "per_concept": args.per_concept,
        "targets": targets,
        "seed": args.seed,
        "teaching_s": round(teaching_s, 1),
        "results": results,
        "reduction_vs_fixed": {"point": round(reduction[0], 3), "ci95": [round(reduction[1], 3),
                                                                          round(reduction[2], 3)]},
        "target_reduction": TARGET_REDUCTION,
        "knowledge_tracing": kt,
    }
    write(report, args.report)


def simulated_sequences(world: Any, learners: int, seed: int) -> list[Any]:
    """Answer sequences straight from the simulator: the fixed and random policies (a tutor's logs
    before adaptivity) over the paths of grade 3-5 targets, 150 exercises each."""
    from recommender.learner.sequences import Responses
    from recommender.learner.simulator import FixedSyllabus, RandomOrder, make_learner, run

    rng = random.Random(f"kt:{seed}")
    fitting = [c for c in world.order if world.grade[c] in (3, 4, 5) and 5 <= len(world.closure(c)) <= 30]
    data = []
    for i in range(learners):
        target = rng.choice(fitting)
        path = world.closure(target)
        learner = make_learner(world, random.Random(f"kt:{seed}:{i}"))
        policy = FixedSyllabus(path, 3) if i % 2 else RandomOrder(path, random.Random(f"kt:{seed}:{i}:o"))
        episode = run(world, learner, policy, target, 150, stop=lambda _who: False)
        data.append(Responses(f"sim{i}", tuple(world.order.index(c) for c in episode.concepts),
                              tuple(int(a) for a in episode.answers)))
    return data


class AnswersOnly:
    """The logged run's NLU: it only ever answers quizzes, which the quiz form takes whatever the
    intent, and starts them with button payloads, which skip the NLU."""

    async def __call__(self, text: str) -> dict[str, Any]:
        return {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.0},
                "intent_ranking": [], "entities": []}


def logged_sequences(world: Any, graph: Any, home: Path, learners: int, seed: int) -> list[Any]:
    """Simulated learners take 5-question quizzes through the real engine, actions and store; the
    sequences are then read back from the store as the tutor logged them.

    Each learner quizzes on random concepts of a target's path; a question is answered with the
    tutor's own right answer when the hidden learner gets the concept it tests right, else "no idea"."""
    import asyncio

    import actions.services
    from actions.quiz import question
    from bot.engine import Engine
    from bot.executor import Executor, InProcessActions
    from bot.messages import UserMessage
    from bot.service import load_dialogue
    from bot.store import ConversationStore
    from music.answers import canonical
    from recommender.learner.sequences import graded_sequences
    from recommender.learner.simulator import make_learner

    actions.services.configure(actions.services.Services(graph=graph, media_dir=home / "media"))
    domain, flows = load_dialogue()
    store = ConversationStore(f"sqlite:///{home / 'logged.db'}")
    executor = Executor(domain, InProcessActions(domain), seed=seed)
    engine = Engine(domain, flows, executor, AnswersOnly(), store)
    rng = random.Random(f"logged:{seed}")
    fitting = [c for c in world.order if world.grade[c] in (3, 4, 5) and 5 <= len(world.closure(c)) <= 30]

    async def learn(i: int) -> None:
        sender = f"sim{i}"
        learner = make_learner(world, random.Random(f"logged:{seed}:{i}"))
        path = world.closure(rng.choice(fitting))
        for _ in range(12):  # 12 quizzes of 5 questions
            await engine.handle(UserMessage(sender, f'/start_quiz{{"concept": "{rng.choice(path)}"}}'))
            while True:
                quiz = engine.trackers[sender].slots.get("quiz")
                if not isinstance(quiz, dict) or quiz.get("done"):
                    break
                current = question(quiz)
                tested = f"concept:{current.concept_id}"
                right = learner.answer(tested) if tested in world.requires else rng.random() < 0.5
                if tested in world.requires:
                    learner.practise(world, tested, path)
                await engine.handle(UserMessage(sender, canonical(current.expected) if right else "no idea"))

    async def everyone() -> None:
        for i in range(learners):
            await learn(i)

    asyncio.run(everyone())
    index = {c: k for k, c in enumerate(world.order)}
    data, _index = graded_sequences(store.behavior(kind="quiz_answer"), index)
    store.close()
    return data


def knowledge_tracing(
    data: list[Any], world: Any, prerequisites: Any, seed: int, out: Console
) -> dict[str, Any]:
    """The knowledge-tracing models on held-out learners of `data` (recommender.learner.evaluate)."""
    from recommender.learner.evaluate import compare

    return compare(data, world.order, prerequisites, seed,
                   progress=lambda name, auc: out.print(f"KT {name}: AUC {auc}"))


def write(report: dict[str, Any], name: str) -> None:
    results, red = report["results"], report["reduction_vs_fixed"]
    met = red["point"] >= TARGET_REDUCTION
    table = Table(title=f"{report['learners']} simulated learners, {len(report['targets'])} targets")
    for column in ("policy", "exercises", "95% CI", "reached", *(f"known @{n}" for n in CHECKPOINTS)):
        table.add_column(column)
    lines = [
        "# Does adaptivity help? Simulated learners",
        "",
        f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, Python "
        f"{report['machine']['python']}. Command: `{report['command']}` ({report['teaching_s']:.0f} s "
        "for the teaching runs).",
        "",
        f"{report['learners']} simulated learners (hidden BKT-style learning and forgetting over the "
        "curriculum's prerequisite graph; per-learner ability and background grade, per-concept "
        "learn/guess/slip: `recommender/learner/simulator.py`), each taught towards one of "
        f"{len(report['targets'])} grade 4-5 targets "
        f"({', '.join(t.removeprefix('concept:') for t in report['targets'])}) by each policy on an "
        f"identical copy of the learner; budget {report['budget']} exercises. The fixed syllabus gives "
        f"{report['per_concept']} exercises to each concept of the path in curriculum order.",
        "",
        "| policy | exercises until the target is really mastered (mean) | 95% CI | median | reached within "
        "budget | " + " | ".join(f"path known after {n}" for n in CHECKPOINTS) + " |",
        "|---|---|---|---|---|" + "---|" * len(CHECKPOINTS),
    ]
    for policy, r in results.items():
        ci = f"{r['exercises_ci95'][0]}–{r['exercises_ci95'][1]}"
        known = [f"{r['known_share'][str(n)]['mean']:.0%}" for n in CHECKPOINTS]
        table.add_row(policy, f"{r['exercises_mean']}", ci, f"{r['reached_within_budget']}", *known)
        lines.append(f"| {policy} | {r['exercises_mean']} | {ci} | {r['exercises_median']} | "
                     f"{r['reached_within_budget']}/{report['learners']} | " + " | ".join(known) + " |")
    lines += [
        "",
        f"Adaptive vs fixed syllabus: **{red['point']:.0%} fewer exercises** (paired 95% CI "
        f"{red['ci95'][0]:.0%} to {red['ci95'][1]:.0%}). Target ≥ {TARGET_REDUCTION:.0%}: "
        f"**{'met' if met else 'not met'}**.",
        "",
        "## Knowledge tracing",
        "",
        "AUC of each answer predicted from the learner's answers before it, on held-out learners "
        "(a third). The tutor's online model uses its default numbers, fitted to nothing.",
        "",
    ]
    kt_table = Table(title="knowledge tracing on held-out learners")
    for column in ("sequences", "model", "test AUC", "fit"):
        kt_table.add_column(column)
    for part, kt in report["knowledge_tracing"].items():
        lines += [f"**{part.title()}** ({kt['source']}): {kt['learners']} learners, {kt['answers']} "
                  f"answers, {kt['test_learners']} held out.", "",
                  "| model | test AUC | fit time |", "|---|---|---|"]
        for model, r in kt["results"].items():
            lines.append(f"| {model} | {r['test_auc']:.4f} | {r['fit_s']:.0f} s |")
            kt_table.add_row(part, model, f"{r['test_auc']:.4f}", f"{r['fit_s']:.0f} s")
        lines.append("")
    Console().print(table)
    Console().print(kt_table)
    save_report(REPORTS, name, report, lines)
    console.print(f"wrote {REPORTS / name}.md and .json")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
