"""`etude serve`, `etude shell` and `etude actions`: the tutor as a server, in the terminal, and its
custom actions as a standalone rasa_sdk action server."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from bot.logs import stderr
from bot.settings import get_settings

stdout = Console()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("shell")(shell)
    app.command("actions")(actions_server)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """The whole service: REST channel, web widget, parse API, Telegram when a token is set.
    Builds what is missing (knowledge graph, NLU model) first."""
    import uvicorn

    from bot.domain import DomainError
    from bot.service import build_tutor, create_service_app

    try:
        tutor = build_tutor(get_settings())
    except DomainError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    from bot.auth.secret import SecretKeyError

    try:
        app = create_service_app(tutor)
    except SecretKeyError as exc:
        stderr.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    settle_heap()
    stderr.print(f"Etude is listening on http://{host}:{port} (chat widget at /, console at /console/, "
                 "API docs at /docs)")
    settings = get_settings()
    # Behind a trusted proxy its X-Forwarded-For/-Proto give the client's address (per-address login
    # limit) and scheme (HSTS); otherwise they are ignored, so no client can claim another address.
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=settings.trust_proxy,
                forwarded_allow_ips="*" if settings.trust_proxy else None)


def settle_heap() -> None:
    """Move everything built at start (graph, models, caches: ~800k objects) out of the garbage
    collector's reach. They live as long as the process, yet every full collection walked them:
    one took ~330 ms, a stall every learner in flight waited through (bench/load_chat.py)."""
    import gc

    gc.collect()
    gc.freeze()


def shell(
    sender: Annotated[str, typer.Option(help="Conversation id to use.")] = "shell",
) -> None:
    """Chat with the tutor in the terminal (empty line or Ctrl-D to quit)."""
    from bot.messages import UserMessage
    from bot.service import build_tutor

    tutor = build_tutor(get_settings())

    async def loop() -> None:
        stderr.print("Chat with Etude (Ctrl-D to quit). Buttons are numbered: type the number to press one.")
        buttons: list[dict[str, str]] = []
        while True:
            try:
                line = await asyncio.to_thread(input, "you> ")
            except EOFError:
                break
            if not line.strip():
                break
            if line.strip().isdigit() and 0 < int(line) <= len(buttons):
                line = buttons[int(line) - 1]["payload"]
            replies = await tutor.engine.handle(UserMessage(sender, line, channel="shell"))
            buttons = []
            for reply in replies:
                if reply.get("text"):
                    stdout.print(Text.assemble(("etude> ", "bold cyan"), reply["text"]), soft_wrap=True)
                if reply.get("attachment"):
                    src = reply["attachment"].get("payload", {}).get("src", "")
                    path = get_settings().media_dir / src.rsplit("/", 1)[-1]
                    stdout.print(Text(f"       ♪ {path}"), soft_wrap=True)
                for button in reply.get("buttons") or []:
                    buttons.append(button)
                    stdout.print(Text(f"       [{len(buttons)}] {button['title']}"), soft_wrap=True)
        await tutor.batcher.close()

    asyncio.run(loop())


def actions_server(
    port: Annotated[int, typer.Option(help="Port of the action server.")] = 5055,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """The project's custom actions behind rasa_sdk's action server (Rasa's webhook protocol)."""
    import actions.services
    from bot.service import ensure_graph, load_recommender
    from bot.store import ConversationStore

    settings = get_settings()
    graph = ensure_graph(settings)
    with ConversationStore(settings.db_url) as store:  # the behaviour since the model was trained
        recommender = load_recommender(settings, graph, store)
    actions.services.configure(
        actions.services.Services(
            graph=graph,
            media_dir=settings.media_dir,
            curriculum_dir=settings.data_dir / "curriculum",
            recommender_service=recommender,
        )
    )
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor)
    stderr.print(f"action server on http://{host}:{port}/webhook")
    # One process: the actions were configured here, and Sanic's worker processes would not be.
    app.run(host=host, port=port, single_process=True, access_log=False, motd=False)
