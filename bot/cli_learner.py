"""`etude learner progress`: what a learner has mastered, is working on and should review, read
from their stored conversation as the tutor itself sees it."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.logs import stderr
from bot.settings import get_settings

stdout = Console()


def stored_tracker(settings: Any, graph: Any, store: Any, learner: str) -> Any:
    """The learner's tracker as the actions read it, rebuilt from their stored events (the actions
    are configured over `graph` on the way, so their helpers can be called)."""
    from rasa_sdk import Tracker as ActionTracker

    import actions.services
    from bot.service import load_dialogue
    from bot.tracker import Tracker

    domain, _ = load_dialogue()
    tracker = Tracker(learner, domain, events=store.events(learner))
    actions.services.configure(actions.services.Services(graph=graph, media_dir=settings.media_dir))
    return ActionTracker.from_dict(tracker.sdk_state())


def learner_progress(
    learner: Annotated[str, typer.Argument(help="The learner's sender id (web, REST or telegram:<id>).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Mastered concepts, those in progress and those due for review, with the model's estimates."""
    from actions.learner import mastery_of
    from bot.store import ConversationStore

    settings = get_settings()
    graph = settings.open_graph()
    try:
        with ConversationStore(settings.db_url) as store:
            if learner not in store.senders():
                stderr.print(f"[red]error:[/] no conversation with learner {learner!r}")
                raise typer.Exit(2)
            tracker = stored_tracker(settings, graph, store, learner)
        summary = mastery_of(tracker).summary(time.time())
        names = {r["concept"]: _name(graph, r["concept"]) for rows in summary.values() for r in rows}
    finally:
        graph.store.close()
    report = {
        "learner": learner,
        "level": tracker.get_slot("level"),
        **{group: [{**r, "name": names[r["concept"]]} for r in rows] for group, rows in summary.items()},
    }
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{learner}: grade {int(report['level'] or 1)}")
    for column in ("status", "concept", "mastery", "recall now", "right", "wrong"):
        table.add_column(column)
    for group in ("mastered", "due", "in_progress"):
        for r in report[group]:
            table.add_row(group.replace("_", " "), r["name"], f"{r['p']:.0%}", f"{r['recall']:.0%}",
                          str(r["correct"]), str(r["wrong"]))
    stdout.print(table)


def _name(graph: Any, concept_id: str) -> str:
    found = graph.entity(concept_id)
    return found.name if found is not None else concept_id


def register(app: typer.Typer) -> None:
    learner = typer.Typer(help="The learner model: what each learner knows.", no_args_is_help=True)
    learner.command("progress")(learner_progress)
    app.add_typer(learner, name="learner")
