"""Assembling the tutor from settings: graph, NLU, store, actions, engine, channels, app.

Everything missing is built on first start (the knowledge graph, an NLU model) with progress on
stderr, so `etude serve` on a fresh checkout ends with a working service.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from bot.batching import MicroBatcher
from bot.domain import Domain
from bot.engine import Engine
from bot.executor import Executor, InProcessActions, RemoteActions
from bot.settings import REPO_ROOT, Settings
from bot.stories import load_flows

log = logging.getLogger(__name__)


@dataclass
class Tutor:
    settings: Settings
    graph: Any
    nlu: Any
    store: Any
    engine: Engine
    batcher: MicroBatcher

    def switch_nlu(self, nlu: Any) -> None:
        """Parse with `nlu` from now on (another model version), without a restart: the batcher's
        function and cache change at once; batches already running finish with the old model."""
        self.batcher.replace(nlu.parse_batch)
        self.nlu = nlu

    def load_nlu(self, version: str) -> Any:
        """A version of the NLU, loaded and warmed up to serve beside the graph in use."""
        from nlu.service import NLU, nlu_dir

        nlu = NLU.load(nlu_dir(self.settings.home) / version, graph=self.graph, home=self.settings.home)
        nlu.warm_up()
        return nlu

    def load_recommender_version(self, version: str) -> Any:
        """A recommender version, loaded, warmed up and caught up with the behaviour stored since
        it was trained, ready to serve beside the graph in use."""
        from recommender.registry import load_version, rec_versions
        from recommender.service import SPARE_ROWS, RecommenderService

        served = load_version(rec_versions(self.settings.home).path(version), SPARE_ROWS)
        recommender = RecommenderService(self.graph, served)
        recommender.warm()
        catch_up(recommender, self.store)
        return recommender

    def switch_recommender(self, recommender: Any) -> None:
        """Recommend with `recommender` from now on, without a restart: the actions' services and
        the engine's observer that feeds it each turn's behaviour change together."""
        import actions.services

        services = actions.services.services()
        old = services.recommender_service
        services.use_recommender(recommender)
        self.engine.observers[:] = [
            recommender.observe if old is not None and getattr(o, "__self__", None) is old else o
            for o in self.engine.observers
        ]

    def graph_changed(self) -> None:
        """After facts were added to the graph in use (a text ingested): the entity linker's
        semantic index is rebuilt now rather than in a learner's turn, and the cached parses (their
        entity ids) and the recommender's cached graph paths are dropped."""
        import actions.services

        self.graph.linker.warm()
        self.batcher.replace(self.nlu.parse_batch)
        recommender = actions.services.services().recommender_service
        if recommender is not None:
            recommender.refresh_paths()


def load_dialogue(root: Path = REPO_ROOT) -> tuple[Domain, Any]:
    """The domain, rules and stories, validated together (raises DomainError listing every problem)."""
    domain = Domain.load(root / "domain.yml")
    flows = load_flows(domain, root / "data" / "rules.yml", root / "data" / "stories.yml")
    return domain, flows


def ensure_graph(settings: Settings) -> Any:
    """The knowledge graph, built from the authored data when the store is empty or the authored
    data changed since it was built (`kg.build.ensure_built`)."""
    from kg.build import ensure_built

    graph = settings.open_graph()
    ensure_built(graph.store, settings.home, settings.data_dir)
    return graph


def build_tutor(settings: Settings, *, nlu: Any = None, store: Any = None, progress: bool = True) -> Tutor:
    import actions.services
    from bot.store import ConversationStore

    domain, flows = load_dialogue()
    graph = ensure_graph(settings)
    if nlu is None:
        from nlu.service import NLU, ensure_model

        ensure_model(settings.home, progress=progress, graph=graph)
        nlu = NLU.load_active(settings.home, graph=graph)
    store = store if store is not None else ConversationStore(settings.db_url)
    services = actions.services.Services(
        graph=graph,
        media_dir=settings.media_dir,
        recordings_dir=settings.recordings_dir,
        models_dir=settings.models_dir,
        curriculum_dir=settings.data_dir / "curriculum",
        recommender_service=load_recommender(settings, graph, store),
    )
    _ = services.curriculum  # read now, not on the first quiz of the first learner
    # The entity linker's semantic index: on a fresh home embedding the graph takes half a minute,
    # which would otherwise stall the first message that needs it (and everyone waiting behind it).
    log.info("entity linker: %d entities in the semantic index", graph.linker.warm())
    actions.services.configure(services)
    observers = []
    if settings.action_endpoint:
        custom: Any = RemoteActions(domain, settings.action_endpoint, InProcessActions(domain).names())
    else:
        custom = InProcessActions(domain)
        observers.append(services.recommender.observe)  # the actions' recommender, in this process
    executor = Executor(domain, custom)
    batcher = MicroBatcher(nlu.parse_batch, cache_size=settings.nlu_cache_size)
    engine = Engine(domain, flows, executor, batcher, store, observers=observers)
    return Tutor(settings, graph, nlu, store, engine, batcher)


def load_recommender(settings: Settings, graph: Any, store: Any = None) -> Any:
    """The active recommender version (or the graph ranking before one is trained), caught up with
    the behaviour stored since that version was trained, so no learner starts from an old state."""
    from recommender.service import RecommenderService

    recommender = RecommenderService.load(graph, settings.home)
    if store is not None:
        read = catch_up(recommender, store)
        log.info("recommender: %s%s, %d stored events read", recommender.source,
                 f" {recommender.version}" if recommender.version else "", read)
    return recommender


def catch_up(recommender: Any, store: Any, learner: str | None = None) -> int:
    """Observe the stored behaviour (of one learner, or all) since the model version was trained;
    returns how many events were read."""
    trained = recommender.served.meta.get("trained_at") if recommender.served is not None else None
    try:
        events = store.behavior(learner, since=datetime.fromisoformat(trained) if trained else None)
    except Exception as exc:  # a store that cannot be read yet only costs the catch-up
        log.warning("recommender catch-up skipped: %s", exc)
        return 0
    for item in events:
        recommender.observe(item.learner_id, item)
    return len(events)


def forgetters(tutor: Tutor) -> list[Any]:
    """What must forget an erased learner in this process (`bot.privacy`): the engine's cached
    tracker, and the state of every behaviour observer that keeps some (the in-process
    recommender's online history). The observers are looked up at erasure time, so a recommender
    swapped in later (a retrain, a rollback) forgets too. Actions served elsewhere keep theirs until
    that server restarts."""

    def observers_forget(learner: str) -> None:
        done: list[Any] = []
        for observe in list(tutor.engine.observers):
            forget = getattr(getattr(observe, "__self__", None), "forget", None)
            if callable(forget) and forget not in done:
                forget(learner)
                done.append(forget)

    return [tutor.engine.forget, observers_forget]


def create_auth(settings: Settings, store: Any) -> Any:  # -> bot.auth.gate.Auth
    """Accounts in the conversation store's database, cookies signed with the service's key."""
    from datetime import timedelta

    from bot.auth.accounts import AccountStore
    from bot.auth.gate import Auth, AuthSettings

    return Auth(
        settings.secret(),
        AccountStore(store),
        settings=AuthSettings(
            session_ttl=timedelta(hours=settings.session_hours),
            max_failures=settings.login_max_failures,
            lockout=timedelta(minutes=settings.login_lockout_minutes),
            allowed_origins=tuple(settings.cors_origins),
            login_attempts_per_minute=settings.login_attempts_per_minute,
        ),
    )


def create_service_app(tutor: Tutor) -> FastAPI:
    """The whole service: REST + widget + parse + media + console and learner pages, and Telegram
    when a token is set."""
    from bot.app import create_app
    from bot.learner_data import StoredLearnerData
    from bot.ratelimit import RateLimiter

    settings = tutor.settings
    telegram = None
    routers = []
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        if settings.telegram_webhook_url and not settings.telegram_secret:
            raise ValueError(
                "ETUDE_TELEGRAM_WEBHOOK_URL needs ETUDE_TELEGRAM_SECRET: without it anyone "
                "could post forged updates"
            )
        telegram = TelegramChannel(
            tutor.engine.handle,
            settings.telegram_token,
            media_dir=settings.media_dir,
            recordings_dir=settings.recordings_dir,
            secret=settings.telegram_secret,
        )
        if settings.telegram_webhook_url:
            routers.append(telegram.router())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if telegram is not None:
            try:
                if settings.telegram_webhook_url:
                    await telegram.start()
                    await telegram.set_webhook(settings.telegram_webhook_url)
                else:
                    await telegram.start_polling()
            except Exception:
                log.exception("Telegram could not start; the other channels keep running")
        try:
            yield
        finally:
            if telegram is not None:
                await telegram.stop()
            await tutor.batcher.close()
            close = getattr(tutor.engine.executor.custom, "close", None)
            if close is not None:
                await close()

    from bot.console.review import latest_corrections
    from bot.jobs import JobRunner
    from bot.kg_admin import KGAdmin, saved_extractor
    from bot.nlu_admin import NLUAdmin
    from bot.rec_admin import RecAdmin, platform_source

    runner = JobRunner()  # one background job at a time for the whole service: NLU, graph, recommender
    nlu_admin = NLUAdmin(settings.home, load=tutor.load_nlu, swap=tutor.switch_nlu,
                         corrections=lambda: latest_corrections(tutor.store), runner=runner,
                         train_options={"graph": tutor.graph})
    kg_admin = KGAdmin(tutor.graph, extractor=saved_extractor(tutor.graph, settings.models_dir),
                       history=settings.home / "kg" / "ingests.jsonl", on_change=tutor.graph_changed,
                       runner=runner)
    rec_admin = RecAdmin(settings.home, load=tutor.load_recommender_version, swap=tutor.switch_recommender,
                         platform=platform_source(tutor.graph, tutor.store, settings.cache_dir / "rec"),
                         runner=runner)

    def health() -> dict[str, Any]:
        return {"status": "ok", "nlu": getattr(tutor.nlu, "version", None), "telegram": telegram is not None}

    from bot.privacy import Eraser

    eraser = Eraser(tutor.store, settings.recordings_dir, forgetters(tutor), home=settings.home)

    return create_app(
        tutor.engine.handle,
        media_dir=settings.media_dir,
        recordings_dir=settings.recordings_dir,
        parse=tutor.batcher,
        health=health,
        routers=routers,
        lifespan=lifespan,
        rate_limit=RateLimiter(settings.rate_per_second, settings.rate_burst),
        auth=create_auth(settings, tutor.store),
        learner_data=StoredLearnerData(tutor.store, tutor.engine.domain, tutor.graph),
        nlu_admin=nlu_admin,
        kg_admin=kg_admin,
        rec_admin=rec_admin,
        graph=tutor.graph,
        eraser=eraser,
        trust_proxy=settings.trust_proxy,
        max_body_bytes=settings.max_body_kb * 1024,
        access_log=settings.access_log,
    )
