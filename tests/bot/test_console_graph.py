"""The instructor's Graph browser: search the knowledge graph for a concept, a person or a work, and
open a node's page with its description and properties, its neighbourhood drawn as an SVG whose every
node links to its own page, the drawn edges as a table with their provenance, and for a concept its
prerequisite chain; the JSON twins for scripts; and the radial layout as a unit.

The graph is the project's full authored graph (curriculum and catalog), built for this module, plus
one edge added as if extracted from a text, with its sentence and confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.console.neighbourhood import (
    BOX_HEIGHT,
    BOX_WIDTH,
    RING_CAP,
    SECOND_CAP,
    Selection,
    collect,
    overlapping,
    radial_layout,
)
from bot.settings import REPO_ROOT
from bot.store import ConversationStore
from kg.curriculum import load_curriculum
from kg.graph import KnowledgeGraph
from kg.schema import Triple
from tests.bot.accounts import echo, log_in, users_on
from tests.bot.admin_helpers import logged_in_without_parts
from tests.bot.tutor import build_test_graph

SVG = "{http://www.w3.org/2000/svg}"
FIFTH = "concept:perfect_fifth"
BACH = "person:johann_sebastian_bach"
MASS = "work:bach_mass_in_b_minor"
# The edge "read from a text": who influenced whom, with the sentence it came from.
INGESTED = Triple("person:hildegard_of_bingen", "INFLUENCED_BY", "person:guido_of_arezzo",
                  {"sentence": "Hildegard learned her chant from the teaching of Guido of Arezzo.",
                   "extractor": "relext-v1"})
INGEST_SOURCE, INGEST_CONFIDENCE = "text:lecture-notes", 0.87


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    built = build_test_graph(tmp_path_factory.mktemp("graph-browser"))
    built.upsert(triples=[INGESTED], source=INGEST_SOURCE, confidence=INGEST_CONFIDENCE)
    return built


@pytest.fixture(scope="module")
def app(graph: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    home = tmp_path_factory.mktemp("graph-console")
    with ConversationStore(f"sqlite:///{home / 'etude.db'}") as store:
        yield create_app(echo, media_dir=home / "media", auth=users_on(store), graph=graph)


@pytest.fixture
def instructor(app: FastAPI) -> TestClient:
    """ian, an instructor, logged in to the console."""
    client = TestClient(app)
    assert log_in(client, "ian").status_code == 303
    return client


def svg_of(html: str, svg_id: str) -> ElementTree.Element:
    found = re.search(rf'<svg id="{svg_id}".*?</svg>', html, re.DOTALL)
    assert found, f"the page has no SVG #{svg_id}"
    return ElementTree.fromstring(found.group(0))


def drawn_links(svg: ElementTree.Element) -> dict[str, str]:
    """{node id: the href of its link} for every node drawn."""
    links = {}
    for link in svg.iter(f"{SVG}a"):
        box = link.find(f"{SVG}g")
        assert box is not None
        links[box.get("data-node") or box.get("data-concept")] = link.get("href")
    return links


def table_rows(html: str, table_id: str) -> list[list[str]]:
    found = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.DOTALL)
    assert found, f"the page has no table #{table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.DOTALL)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL) for row in rows]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in row] for row in cells]


def learning_path(html: str) -> list[str]:
    """The concept ids of the page's learning path, in order (the last one, the concept itself, unlinked)."""
    found = re.search(r'<ol id="learning-path">(.*?)</ol>', html, re.DOTALL)
    assert found, "the page has no learning path"
    return re.findall(r"<li>(?:<a href=\"/console/graph/node/([^\"]+)\">|<strong>)", found.group(1))


# --- search -------------------------------------------------------------------------------------


def test_searching_an_alias_finds_the_concept_first_with_its_type(instructor: TestClient, graph) -> None:
    response = instructor.get("/console/graph", params={"q": "P5"})

    assert response.status_code == 200
    rows = table_rows(response.text, "results")
    assert rows[0] == [graph.entity(FIFTH).name, "Concept", "alias", FIFTH]
    assert f'href="/console/graph/node/{FIFTH}"' in response.text


def test_searching_part_of_a_name_finds_every_node_whose_name_contains_it(
    instructor: TestClient, graph
) -> None:
    response = instructor.get("/console/graph", params={"q": "fifths"})

    names = [row[0] for row in table_rows(response.text, "results")]
    expected = {n.name for n in graph.store.nodes() if "fifths" in n.name.lower()}
    assert expected and expected <= set(names)


def test_searching_finds_people_and_works_by_name(instructor: TestClient, graph) -> None:
    people = table_rows(instructor.get("/console/graph", params={"q": "Johann Sebastian Bach"}).text,
                        "results")
    works = table_rows(instructor.get("/console/graph", params={"q": "Mass in B minor"}).text,
                       "results")

    assert people[0] == [graph.entity(BACH).name, "Person", "name", BACH]
    assert [graph.entity(MASS).name, "Work", "alias", MASS] in works


def test_a_misspelt_name_is_still_found(instructor: TestClient) -> None:
    rows = table_rows(instructor.get("/console/graph", params={"q": "perfekt fifth"}).text, "results")

    assert rows[0][3] == FIFTH
    assert rows[0][2] == "similar spelling"


def test_a_search_that_matches_nothing_says_so(instructor: TestClient) -> None:
    response = instructor.get("/console/graph", params={"q": "zzqxv"})

    assert response.status_code == 200
    assert "No node of the graph has a name or alias matching “zzqxv”." in response.text


@pytest.mark.parametrize(("query", "message"), [
    ("", "Enter a name to search for."),
    ("   ", "Enter a name to search for."),
    ("x" * 101, "The search must be at most 100 characters."),
    ("fifth\x07", "The search must not contain control characters."),
    ("?!", "The search needs at least one letter or digit."),
])
def test_a_search_that_cannot_be_run_is_refused_with_its_reason_on_the_page(
    instructor: TestClient, query: str, message: str
) -> None:
    response = instructor.get("/console/graph", params={"q": query})

    assert response.status_code == 422
    assert f'<p class="error" id="search-error" role="alert">{message}</p>' in response.text
    assert '<form method="get" action="/console/graph"' in response.text  # to try again


def test_the_search_page_without_a_query_shows_the_form_and_no_results(instructor: TestClient) -> None:
    response = instructor.get("/console/graph")

    assert response.status_code == 200
    assert 'id="q" name="q" value=""' in response.text
    assert 'id="results"' not in response.text


# --- a node's page ------------------------------------------------------------------------------


def test_a_concepts_page_shows_its_description_type_and_every_neighbour_as_a_link(
    instructor: TestClient, graph
) -> None:
    response = instructor.get(f"/console/graph/node/{FIFTH}")

    assert response.status_code == 200
    node = graph.entity(FIFTH)
    assert f"<h1>{node.name}</h1>" in response.text
    assert f'<p id="description">{node.props["description"]}</p>'.replace("'", "&#39;") in response.text
    assert f"Concept · <code>{FIFTH}</code>" in response.text
    neighbours = {other.id for _, other in graph.neighbours(FIFTH)}
    links = drawn_links(svg_of(response.text, "neighbourhood"))
    assert set(links) == neighbours | {FIFTH}  # it has fewer neighbours than the cap
    assert all(href == f"/console/graph/node/{node_id}" for node_id, href in links.items())


def test_every_drawn_edge_is_a_row_of_the_edge_table_with_its_relation(instructor: TestClient, graph) -> None:
    html = instructor.get(f"/console/graph/node/{FIFTH}").text
    svg = svg_of(html, "neighbourhood")

    drawn = {(line.get("data-head"), line.get("data-rel"), line.get("data-tail"))
             for line in svg.iter(f"{SVG}line")}
    assert drawn == {t.key() for t, _ in graph.neighbours(FIFTH)}
    rows = table_rows(html, "edges")
    assert len(rows) == len(drawn)
    ends = {e for key in drawn for e in (key[0], key[2])}
    name = {n.id: n.name for n in graph.store.get_nodes(ends).values()}
    assert {(row[0], row[1], row[2]) for row in rows} == {
        (name[h], rel.lower().replace("_", " "), name[t]) for h, rel, t in drawn
    }


def test_a_concepts_learning_path_runs_from_the_basics_to_it_in_the_curriculums_order(
    instructor: TestClient
) -> None:
    curriculum = {c.id: c for c in load_curriculum(REPO_ROOT / "data" / "curriculum")}
    target = "perfect_fifth"
    needed: set[str] = set()
    frontier = [target]
    while frontier:
        frontier = [r for c in frontier for r in curriculum[c].requires if r not in needed]
        needed.update(frontier)

    path = [node_id.removeprefix("concept:") for node_id in learning_path(
        instructor.get(f"/console/graph/node/concept:{target}").text)]

    assert path[-1] == ""  # the concept itself closes the path, in bold rather than linked
    assert set(path[:-1]) == needed and len(path[:-1]) == len(needed)
    position = {concept: index for index, concept in enumerate(path[:-1])}
    for concept in needed:
        assert all(position[r] < position[concept] for r in curriculum[concept].requires), concept


def test_a_concepts_page_draws_its_prerequisites_and_lists_what_it_unlocks(instructor: TestClient) -> None:
    curriculum = {c.id: c for c in load_curriculum(REPO_ROOT / "data" / "curriculum")}
    target = "interval"
    html = instructor.get(f"/console/graph/node/concept:{target}").text

    chain = drawn_links(svg_of(html, "prerequisite-chain"))
    assert {f"concept:{r}" for r in curriculum[target].requires} | {f"concept:{target}"} <= set(chain)
    unlocks = re.search(r'<ul id="unlocks">(.*?)</ul>', html, re.DOTALL)
    assert unlocks
    listed = set(re.findall(r'href="/console/graph/node/concept:([^"]+)"', unlocks.group(1)))
    assert listed == {c.id for c in curriculum.values() if target in c.requires}


def test_a_starting_concept_says_it_builds_on_nothing(instructor: TestClient) -> None:
    basics = next(c for c in load_curriculum(REPO_ROOT / "data" / "curriculum") if not c.requires)

    html = instructor.get(f"/console/graph/node/concept:{basics.id}").text

    assert f"{basics.name} builds on no other concept: it is a starting point." in html
    assert 'id="prerequisite-chain"' not in html


def test_a_persons_page_shows_their_dates_from_the_graph(instructor: TestClient, graph) -> None:
    html = instructor.get(f"/console/graph/node/{BACH}").text
    props = graph.entity(BACH).props

    assert f"<dt>born</dt>\n      <dd>{props['born']}</dd>" in html
    assert f"<dt>died</dt>\n      <dd>{props['died']}</dd>" in html
    assert "Prerequisite chain" not in html  # only concepts have one


def test_a_works_page_shows_its_year_and_key_and_links_its_composer(instructor: TestClient, graph) -> None:
    html = instructor.get(f"/console/graph/node/{MASS}").text
    props = graph.entity(MASS).props

    assert f"<dt>year</dt>\n      <dd>{props['year']}</dd>" in html
    assert f"<dt>key</dt>\n      <dd>{props['key']}</dd>" in html
    assert drawn_links(svg_of(html, "neighbourhood"))[BACH] == f"/console/graph/node/{BACH}"


def test_an_edge_read_from_a_text_shows_its_source_confidence_and_sentence(instructor: TestClient) -> None:
    html = instructor.get(f"/console/graph/node/{INGESTED.head}").text

    row = next(r for r in table_rows(html, "edges") if r[1] == "influenced by")
    assert row[:6] == ["Hildegard of Bingen", "influenced by", "Guido of Arezzo", INGEST_SOURCE,
                       str(INGEST_CONFIDENCE), f"“{INGESTED.props['sentence']}” (relext-v1)"]


def test_two_hops_draw_the_neighbours_neighbours_each_joined_to_a_neighbour(instructor: TestClient) -> None:
    svg = svg_of(instructor.get(f"/console/graph/node/{MASS}", params={"hops": "2"}).text, "neighbourhood")

    rings = {g.get("data-node"): g.get("data-ring") for g in svg.iter(f"{SVG}g") if g.get("data-node")}
    second = {node for node, ring in rings.items() if ring == "2"}
    assert second
    lines = {(line.get("data-head"), line.get("data-tail")) for line in svg.iter(f"{SVG}line")}
    for node in second:
        assert any(rings.get(other) == "1" for pair in lines if node in pair for other in pair), node
    # clicking a node keeps the two hops
    assert all(link.get("href").endswith("?hops=2") for link in svg.iter(f"{SVG}a"))


def test_the_relation_filter_draws_only_that_relation(instructor: TestClient, graph) -> None:
    html = instructor.get(f"/console/graph/node/{FIFTH}", params={"rel": "REQUIRES"}).text
    svg = svg_of(html, "neighbourhood")

    assert {line.get("data-rel") for line in svg.iter(f"{SVG}line")} == {"REQUIRES"}
    assert '<option value="REQUIRES" selected>' in html


def test_a_hub_draws_at_most_the_cap_and_says_how_many_there_are(instructor: TestClient, graph) -> None:
    hub = "genre:classical"
    total = len({other.id for _, other in graph.neighbours(hub)})

    html = instructor.get(f"/console/graph/node/{hub}").text

    assert total > RING_CAP
    assert len(drawn_links(svg_of(html, "neighbourhood"))) == RING_CAP + 1
    assert f"{RING_CAP} of {total} neighbours" in html


@pytest.mark.parametrize(("params", "message"), [
    ({"hops": "3"}, "Hops must be 1 or 2."),
    ({"rel": "COMPOSED_BY"}, "This node has no edge of the relation &#39;COMPOSED_BY&#39;"),
])
def test_a_view_the_node_cannot_have_is_refused_above_the_default_view(
    instructor: TestClient, params: dict[str, str], message: str
) -> None:
    response = instructor.get(f"/console/graph/node/{FIFTH}", params=params)

    assert response.status_code == 422
    assert message in response.text
    assert 'id="neighbourhood"' in response.text


@pytest.mark.parametrize("node_id", ["concept:no_such_thing", "nothing", "concept:" + "x" * 600])
def test_an_unknown_node_is_a_404_page(instructor: TestClient, node_id: str) -> None:
    response = instructor.get(f"/console/graph/node/{node_id}")

    assert response.status_code == 404
    assert "<h1>No such node</h1>" in response.text


def test_the_console_nav_links_the_graph_for_instructors(instructor: TestClient) -> None:
    assert '<a href="/console/graph">Graph</a>' in instructor.get("/console/").text


# --- who may see it -----------------------------------------------------------------------------


def test_an_anonymous_visitor_gets_the_login_form_and_a_learner_is_refused(app: FastAPI) -> None:
    anonymous = TestClient(app)
    learner = TestClient(app)
    assert log_in(learner, "lea").status_code == 303

    assert anonymous.get(f"/console/graph/node/{FIFTH}").status_code == 401
    assert 'name="password"' in anonymous.get("/console/graph").text
    refused = learner.get("/console/graph", params={"q": "fifth"})
    assert refused.status_code == 403
    assert "this needs the role instructor" in refused.text
    assert learner.get("/api/graph/search", params={"q": "fifth"}).status_code == 403
    assert anonymous.get(f"/api/graph/node/{FIFTH}").json()["error"]


def test_without_a_graph_the_pages_say_it_is_not_available(tmp_path: Path) -> None:
    with logged_in_without_parts(tmp_path, "ian") as client:
        assert client.get("/console/graph").status_code == 503
        assert client.get(f"/console/graph/node/{FIFTH}").status_code == 503
        assert client.get("/api/graph/search", params={"q": "fifth"}).status_code == 503


# --- the JSON twin ------------------------------------------------------------------------------


def test_the_search_api_returns_matches_with_their_type(instructor: TestClient, graph) -> None:
    body = instructor.get("/api/graph/search", params={"q": "P5"}).json()

    assert body["query"] == "P5"
    assert body["results"][0] == {"id": FIFTH, "name": graph.entity(FIFTH).name, "label": "Concept",
                                  "match": "alias"}


def test_the_node_api_gives_the_node_its_neighbourhood_and_its_learning_path(
    instructor: TestClient, graph
) -> None:
    body = instructor.get(f"/api/graph/node/{FIFTH}").json()
    html = instructor.get(f"/console/graph/node/{FIFTH}").text

    assert body["node"]["description"] == graph.entity(FIFTH).props["description"]
    assert body["hops"] == 1 and body["relation"] is None
    neighbours = {o.id for _, o in graph.neighbours(FIFTH)}
    assert {n["id"] for n in body["neighbourhood"]["nodes"]} == neighbours | {FIFTH}
    path = [step["id"] for step in body["prerequisites"]["learning_path"]]
    assert path == [*learning_path(html)[:-1], FIFTH]
    assert [n.id for n in graph.learning_path(FIFTH)] == path


def test_the_node_api_keeps_each_edges_provenance(instructor: TestClient) -> None:
    body = instructor.get(f"/api/graph/node/{INGESTED.head}", params={"rel": "INFLUENCED_BY"}).json()

    (edge,) = [e for e in body["neighbourhood"]["edges"] if e["tail"] == INGESTED.tail]
    assert edge["source"] == INGEST_SOURCE and edge["confidence"] == INGEST_CONFIDENCE
    assert edge["sentence"] == INGESTED.props["sentence"]
    assert body["prerequisites"] is None


def test_the_api_refuses_bad_input_as_json(instructor: TestClient) -> None:
    empty = instructor.get("/api/graph/search", params={"q": ""})
    missing = instructor.get("/api/graph/node/concept:no_such_thing")
    hops = instructor.get(f"/api/graph/node/{FIFTH}", params={"hops": "9"})

    assert (empty.status_code, empty.json()) == (422, {"error": "Enter a name to search for."})
    assert missing.status_code == 404 and "concept:no_such_thing" in missing.json()["error"]
    assert (hops.status_code, hops.json()) == (422, {"error": "Hops must be 1 or 2."})


# --- the neighbourhood and its layout, as a unit ------------------------------------------------


def star(centre: str, spokes: dict[str, list[str]]) -> list[Triple]:
    """Edges centre -> each spoke, and each spoke -> its own leaves."""
    edges = [Triple(centre, "RELATED_TO", spoke) for spoke in spokes]
    return edges + [Triple(spoke, "RELATED_TO", leaf) for spoke, leaves in spokes.items() for leaf in leaves]


def edges_of(edges: list[Triple]):
    return lambda ids: [e for e in edges if e.head in ids or e.tail in ids]


def test_the_second_ring_is_shared_round_robin_so_one_hub_cannot_take_every_place() -> None:
    edges = star("c", {"hub": [f"h{i:02}" for i in range(40)], "small": ["s1", "s2"]})

    chosen = collect("c", edges_of(edges), hops=2)

    assert chosen.rings[1] == ["hub", "small"]
    assert {"s1", "s2"} <= set(chosen.rings[2])
    assert len(chosen.rings[2]) == SECOND_CAP
    assert chosen.found == [1, 2, 42] and chosen.capped
    assert {chosen.parent["s1"], chosen.parent["h00"]} == {"small", "hub"}


def test_one_hop_draws_the_centres_own_edges_and_two_hops_also_those_around_its_neighbours() -> None:
    edges = [*star("c", {"a": ["x"], "b": []}), Triple("a", "REQUIRES", "b")]

    one = collect("c", edges_of(edges), hops=1)
    two = collect("c", edges_of(edges), hops=2)

    assert one.rings == [["c"], ["a", "b"]]
    assert {e.key() for e in one.edges} == {("c", "RELATED_TO", "a"), ("c", "RELATED_TO", "b")}
    assert two.rings == [["c"], ["a", "b"], ["x"]]
    assert {e.key() for e in two.edges} == {e.key() for e in edges}
    with pytest.raises(ValueError, match="hops must be 1 or 2"):
        collect("c", edges_of(edges), hops=3)


@pytest.mark.parametrize("first", range(RING_CAP + 1))
def test_no_two_boxes_overlap_whatever_the_number_on_each_ring(first: int) -> None:
    for second in range(SECOND_CAP + 1 if first else 1):
        ring1 = [f"a{i}" for i in range(first)]
        ring2 = [f"b{i}" for i in range(second)]
        rings = [["c"], ring1, ring2] if second else [["c"], ring1]
        drawing = radial_layout(Selection(rings, {b: ring1[i % first] for i, b in enumerate(ring2)}, [],
                                          [len(r) for r in rings]))

        assert overlapping(drawing) == [], (first, second)
        for spot in drawing.spots.values():
            assert spot.left >= 0 and spot.left + BOX_WIDTH <= drawing.width + 1e-6
            assert spot.top >= 0 and spot.top + BOX_HEIGHT <= drawing.height + 1e-6


def test_an_edge_is_drawn_from_box_edge_to_box_edge() -> None:
    chosen = collect("c", edges_of(star("c", {"a": [], "b": [], "d": []})), hops=1)
    drawing = radial_layout(chosen)

    for line in drawing.lines:
        head, tail = drawing.spots[line.edge.head], drawing.spots[line.edge.tail]
        for (x, y), box in (((line.x1, line.y1), head), ((line.x2, line.y2), tail)):
            half_w, half_h = BOX_WIDTH / 2, BOX_HEIGHT / 2
            on_side = abs(abs(x - box.x) - half_w) < 1e-6 and abs(y - box.y) <= half_h + 1e-6
            on_top = abs(abs(y - box.y) - half_h) < 1e-6 and abs(x - box.x) <= half_w + 1e-6
            assert on_side or on_top
