"""What the instructor's Learners pages show: each learner's progress as the tutor itself sees it.

A learner is a sender with a stored conversation. The list counts, per learner, their quiz answers
(right, wrong) and practice results from the behaviour events in SQL, and what they have mastered,
are working on and should review from the learner model (`actions.learner.mastery_of` over their
tracker, rebuilt from the stored events by `StoredLearnerData.tracker`), for the listed page only.
A learner's report adds their concepts over the prerequisite graph, their graded history, and the
next lesson the tutor would recommend and why (`actions.learning.next_concept`, the tutor's own
logic), with the review it would offer. The actions' services must be configured, as they are in
the running tutor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.console.conversations import PAGE_SIZE, Page
from bot.console.prerequisite_graph import MAX_NODES, Layout, concepts_to_draw, layered_layout
from bot.learner_data import StoredLearnerData
from bot.store import StoreError, behavior_events, conversations

HISTORY_KINDS = ("quiz_answer", "quiz_hint", "practice_result", "too_hard", "too_easy")
HISTORY_LIMIT = 200  # most recent graded events a learner's page lists (the export has them all)
STATUS_WORDS = {"mastered": "mastered", "due": "due for review", "in_progress": "in progress",
                "new": "not started"}
KIND_WORDS = {"quiz_answer": "quiz answer", "quiz_hint": "quiz hint", "practice_result": "practice",
              "too_hard": "said too hard", "too_easy": "said too easy"}


@dataclass(frozen=True)
class LearnerRow:
    sender: str
    last_active: datetime
    quiz_right: int
    quiz_wrong: int
    practice: int
    mastered: int
    in_progress: int
    due: int


LearnerListing = Page[LearnerRow]


def list_learners(data: StoredLearnerData, search: str = "", page: int = 1) -> LearnerListing:
    """The page (from 1, PAGE_SIZE a page) of learners whose id contains `search` (any case), the
    most recently active first, with their graded events counted and their mastery summarised."""
    c, b = conversations.c, behavior_events.c
    graded = (
        select(
            b.learner_id,
            func.sum(case(((b.kind == "quiz_answer") & (b.outcome == "correct"), 1), else_=0)).label("right"),
            func.sum(case(((b.kind == "quiz_answer") & (b.outcome == "wrong"), 1), else_=0)).label("wrong"),
            func.sum(case((b.kind == "practice_result", 1), else_=0)).label("practice"),
        )
        .where(b.kind.in_(("quiz_answer", "practice_result")))
        .group_by(b.learner_id)
        .subquery()
    )
    where = [func.lower(c.sender_id).contains(search.lower(), autoescape=True)] if search else []
    query = (
        select(c.sender_id, c.last_active_at, graded.c.right, graded.c.wrong, graded.c.practice)
        .select_from(conversations.outerjoin(graded, graded.c.learner_id == c.sender_id))
        .where(*where)
        .order_by(c.last_active_at.desc(), c.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    counted = select(func.count()).select_from(conversations).where(*where)
    try:
        with data.store.transaction(write=False) as conn:
            total = int(conn.execute(counted).scalar_one())
            found = conn.execute(query).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"could not list learners: {exc}") from exc
    now = data.clock()
    rows = []
    for row in found:
        summary = _mastery(data, row.sender_id).summary(now)
        rows.append(LearnerRow(
            sender=row.sender_id, last_active=row.last_active_at, quiz_right=int(row.right or 0),
            quiz_wrong=int(row.wrong or 0), practice=int(row.practice or 0),
            mastered=len(summary["mastered"]), in_progress=len(summary["in_progress"]),
            due=len(summary["due"]),
        ))
    return Page(rows, total, page)


def has_conversation(data: StoredLearnerData, sender: str) -> bool:
    return data.store.count_turns(sender) > 0


@dataclass(frozen=True)
class Report:
    """One learner's progress, history and recommendation, as their page and export show them."""

    sender: str
    level: float | None
    concepts: list[dict[str, Any]]  # every concept drawn: id, name, status, p, recall, right, wrong, ...
    layout: Layout
    capped: bool
    total_concepts: int  # concepts the graph would hold without the cap
    history: list[dict[str, Any]]  # oldest first
    recommendation: dict[str, Any]


def learner_report(data: StoredLearnerData, sender: str) -> Report:
    """The learner's report (they must have a stored conversation: see `has_conversation`)."""
    from actions.learner import mastery_of
    from actions.services import services

    tracker = data.tracker(sender)
    mastery = mastery_of(tracker)
    now = data.clock()
    requires = services().prerequisites.requires
    # The concepts the tutor reports on (as `my_progress` does: not those merely nudged by evidence
    # on related concepts), the most recently seen first; then what they build on
    summary = mastery.summary(now)
    reported = [row["concept"] for rows in summary.values() for row in rows]
    recorded = sorted(reported, key=lambda c: (-float(mastery.state[c].get("seen") or 0), c))
    drawn, total = concepts_to_draw(recorded, requires, MAX_NODES)
    names = {concept: data.concept_name(concept) for concept in drawn}
    layout = layered_layout(drawn, requires, name=lambda concept: names[concept])
    concepts = []
    for concept in sorted(drawn, key=lambda c: (layout.nodes[c].layer, layout.nodes[c].order)):
        record = mastery.state.get(concept) or {}
        status = mastery.status(concept, now)
        concepts.append({
            "concept": concept,
            "name": names[concept],
            "status": status,
            "status_words": STATUS_WORDS[status],
            "p": round(mastery.p(concept), 3),
            "recall": round(mastery.recall(concept, now), 3),
            "correct": int(record.get("correct", 0)),
            "wrong": int(record.get("wrong", 0)),
            "inferred": bool(record.get("inferred")),
            "requires": [names[r] for r in sorted(requires.get(concept, ()), key=lambda r: names.get(r, r))
                         if r in names],
            "layer": layout.nodes[concept].layer,
        })
    return Report(
        sender=sender,
        level=tracker.get_slot("level"),
        concepts=concepts,
        layout=layout,
        capped=total > len(drawn),
        total_concepts=total,
        history=history(data, sender),
        recommendation=recommendation(data, tracker, mastery, now),
    )


def history(data: StoredLearnerData, sender: str) -> list[dict[str, Any]]:
    """The learner's graded events (quiz answers and hints, practice results, "too hard/easy"), oldest
    first, with the concept's name."""
    names: dict[str, str] = {}
    rows = []
    for event in data.store.behavior(learner_id=sender):
        if event.kind not in HISTORY_KINDS:
            continue
        concept = event.concept
        if concept is not None and concept not in names:
            names[concept] = data.concept_name(concept)
        assert event.at is not None  # the store always records when
        rows.append({
            "at": event.at.astimezone(UTC).isoformat(),
            "kind": event.kind,
            "kind_words": KIND_WORDS[event.kind],
            "concept": concept,
            "name": names[concept] if concept is not None else None,
            "outcome": event.outcome,
            "value": event.value,
        })
    return rows


def recommendation(data: StoredLearnerData, tracker: Any, mastery: Any, now: float) -> dict[str, Any]:
    """What the tutor would answer "what should I learn next?" with: the next lesson and why
    (`next_concept`), and the review of the most faded mastered concept, if one is due."""
    from actions.learning import next_concept

    concept, why = next_concept(tracker)
    due = mastery.due(now)
    return {
        "concept": concept.id if concept is not None else None,
        "name": concept.name if concept is not None else None,
        "grade": concept.props.get("grade") if concept is not None else None,
        "reason": why,
        "review": {"concept": due[0], "name": data.concept_name(due[0])} if due else None,
    }


def export_document(report: Report, exported_at: datetime) -> dict[str, Any]:
    """The learner's report as the JSON export holds it (the graph as nodes and edges, no pixels)."""
    return {
        "learner": report.sender,
        "exported_at": exported_at.astimezone(UTC).isoformat(),
        "level": report.level,
        "progress": [
            {key: row[key] for key in ("concept", "name", "status", "p", "recall", "correct", "wrong",
                                        "inferred", "layer")}
            for row in report.concepts
        ],
        "edges": [{"concept": e.concept, "requires": e.prerequisite} for e in report.layout.edges],
        "capped": report.capped,
        "total_concepts": report.total_concepts,
        "history": report.history,
        "recommendation": report.recommendation,
    }


def _mastery(data: StoredLearnerData, sender: str) -> Any:
    from actions.learner import mastery_of

    return mastery_of(data.tracker(sender))
