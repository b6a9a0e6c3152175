"""The Graph browser (`/console/graph`): search the knowledge graph for a concept, person or work and
open a node's page, with its description and properties, its neighbourhood drawn as an SVG whose
every node links to its own page (click to recentre), the drawn edges as a table with their
provenance, and for a concept its prerequisite chain. JSON twins for scripts: `/api/graph/search`
and `/api/graph/node/{id}` (GET only, so no CSRF token).

For instructors and admins. The graph is the app's `app.state.graph` (`create_app(graph=...)`, the
tutor's graph in the service); without it the pages answer 503. Node ids contain colons and may
contain slashes, so a node's route takes the rest of the path.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.api_docs import refusals
from bot.auth.deps import require_page_role, require_role
from bot.auth.gate import Principal
from bot.auth.roles import Role
from bot.console.graph_search import MAX_QUERY, InvalidQuery, check_query, search
from bot.console.graph_view import (
    InvalidView,
    find_node,
    node_href,
    node_view,
    own_relations,
    read_choice,
    view_json,
)
from bot.console.neighbourhood import BOX_HEIGHT, BOX_WIDTH, relation_words, short
from bot.console.prerequisite_graph import NODE_HEIGHT, NODE_WIDTH
from bot.console.render import NO_STORE, frame, page

SEARCH = "/console/graph"
UNAVAILABLE = "This console runs without the tutor's knowledge graph, so it cannot browse it."
InstructorPage = Annotated[Principal, Depends(require_page_role(Role.INSTRUCTOR))]
Instructor = Annotated[Principal, Depends(require_role(Role.INSTRUCTOR))]


def _graph(request: Request) -> Any:
    return getattr(request.app.state, "graph", None)


def graph_router() -> APIRouter:
    router = APIRouter(prefix="/graph")

    @router.get("")
    async def search_page(request: Request, principal: InstructorPage) -> Response:
        graph = _graph(request)
        if graph is None:
            return _refused(principal, 503, "Graph not available", UNAVAILABLE)
        if "q" not in request.query_params:
            return _search_page(principal, "", None, None)
        raw = request.query_params["q"]
        try:
            query = check_query(raw)
        except InvalidQuery as exc:
            return _search_page(principal, raw[:MAX_QUERY], None, str(exc), 422)
        hits = await run_in_threadpool(search, graph, query)
        return _search_page(principal, query, hits, None)

    @router.get("/node/{node_id:path}")
    async def node_page(request: Request, principal: InstructorPage, node_id: str) -> Response:
        graph = _graph(request)
        if graph is None:
            return _refused(principal, 503, "Graph not available", UNAVAILABLE)
        node = await run_in_threadpool(find_node, graph, node_id)
        if node is None:
            return _refused(principal, 404, "No such node",
                            f"The knowledge graph has no node with the id {node_id[:200]!r}.")
        relations = await run_in_threadpool(own_relations, graph, node.id)
        error, status = None, 200
        try:
            hops, relation = read_choice(request.query_params, relations)
        except InvalidView as exc:  # shown above the default view, with the form to choose again
            (hops, relation), error, status = (1, None), str(exc), 422
        view = await run_in_threadpool(node_view, graph, node, hops, relation, relations)
        return page("graph_node.html", status, **frame(principal, f"{node.name} ({node.label})"), view=view,
                    error=error, href=node_href, short=short, words=relation_words, box_width=BOX_WIDTH,
                    box_height=BOX_HEIGHT, node_width=NODE_WIDTH, node_height=NODE_HEIGHT)

    return router


def _search_page(principal: Principal, query: str, hits: Any, error: str | None,
                 status: int = 200) -> Response:
    return page("graph.html", status, **frame(principal, "Graph"), search=query, hits=hits, error=error,
                href=node_href, max_query=MAX_QUERY)


def _refused(principal: Principal, status: int, heading: str, message: str) -> Response:
    return page("refused.html", status, **frame(principal, heading), heading=heading, message=message,
                link=SEARCH, link_text="Back to the graph search")


# --- the JSON API -------------------------------------------------------------------------------


def _json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=NO_STORE)


def graph_api_router() -> APIRouter:
    router = APIRouter(prefix="/graph", tags=["knowledge graph"])

    @router.get("/search", summary="Nodes whose name or alias matches q (instructors and admins)",
                responses=refusals(422, 503))
    async def api_search(request: Request, _: Instructor) -> Any:
        graph = _graph(request)
        if graph is None:
            return _json({"error": UNAVAILABLE}, 503)
        try:
            query = check_query(request.query_params.get("q"))
        except InvalidQuery as exc:
            return _json({"error": str(exc)}, 422)
        hits = await run_in_threadpool(search, graph, query)
        return _json({"query": query, "results": [hit.to_dict() for hit in hits]})

    @router.get("/node/{node_id:path}",
                summary="A node, its neighbourhood and prerequisites (instructors and admins)",
                responses=refusals(404, 422, 503))
    async def api_node(request: Request, _: Instructor, node_id: str) -> Any:
        graph = _graph(request)
        if graph is None:
            return _json({"error": UNAVAILABLE}, 503)
        node = await run_in_threadpool(find_node, graph, node_id)
        if node is None:
            return _json({"error": f"no node with the id {node_id[:200]!r}"}, 404)
        relations = await run_in_threadpool(own_relations, graph, node.id)
        try:
            hops, relation = read_choice(request.query_params, relations)
        except InvalidView as exc:
            return _json({"error": str(exc)}, 422)
        view = await run_in_threadpool(node_view, graph, node, hops, relation, relations)
        return _json(view_json(view))

    return router
