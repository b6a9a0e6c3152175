"""The Neo4j store: the graph in a Bolt server (Neo4j 5, or FalkorDB's Bolt bridge in the tests).

Every node carries the common label `Node` (indexed on `id`) plus its own label. Values always
travel as query parameters; the only names written into Cypher text are labels from
`kg.schema.LABELS`, relation types that passed `check_relation` and property names that passed
`kg.store.clean_props` (plain identifiers), each quoted with backticks.

The Cypher is the subset both Neo4j 5 and FalkorDB accept. FalkorDB's Bolt bridge differs in ways
that are detected from its behaviour (it reports itself as "Neo4j/5.13.0"), never from its name:

* It pastes Bolt parameters into the query text: strings as single-quoted literals without
  escaping (a `'` breaks the query, backslash escapes are interpreted), floats with six decimals
  (1/3 arrives as 0.333333, 1e-9 as 0.0), and the query plus its pasted parameters must fit in
  about 4 KB or the server crashes (a buffer overflow). A connect-time probe (`RETURN $p` with two
  backslashes: Neo4j returns two, an inlining server one) detects this; such a server then gets
  its parameters in FalkorDB's own parameter syntax instead, `CYPHER name=<literal> <query>`, with
  the literals written here (`_literal`): strings single-quoted with backslashes and quotes
  escaped, floats by `repr`, map keys checked and quoted. The query itself still says `$name`.
* After a client says GOODBYE, the next connection's handshake goes unanswered (the driver waits
  for its acquisition timeout, 60 s). Opening and closing a bare TCP connection clears that, so
  the store does so before each new connection to such a server (`_resolve`) and after closing.
* A record of more than 64 KB is never finished (the client waits forever), so on such a server
  a node or edge whose properties take more than MAX_RECORD_BYTES is refused before writing.
* Variable-length patterns enumerate every path, which explodes on a curriculum full of diamonds,
  so `closure` and `reach` walk three levels per batched query (a bounded pattern: few paths),
  also on Neo4j.
* An aggregate inside a RETURN expression (`a + count(x)`) comes back null, so sums are formed
  after a WITH.
"""

from __future__ import annotations

import logging
import math
import re
import socket
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, ClassVar

from neo4j import GraphDatabase, ManagedTransaction
from neo4j.exceptions import Neo4jError

from kg.schema import LABELS, Node, Triple, check_relation, label_of
from kg.store import (
    Direction,
    GraphStore,
    MissingNodeError,
    _rel_or_none,
    checked_nodes,
    checked_triples,
    walk,
)

log = logging.getLogger(__name__)

CHUNK = 500  # rows per UNWIND batch and ids per IN list
REACH_LEVELS = 3  # levels of a transitive walk fetched per query
MAX_RECORD_BYTES = 60_000  # what a node's or edge's properties may take on FalkorDB's Bolt bridge
_PROBE = "\\\\"  # two backslashes: a server that inlines parameters hands back one


_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _literal(value: Any) -> str:
    """A Cypher literal for a parameter value, for servers that take parameters as text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("non-finite numbers cannot be stored")
        return repr(float(value))
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) or not _KEY.match(key):
                raise ValueError(f"invalid map key {key!r}")
        return "{" + ", ".join(f"{_q(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot send a {type(value).__name__} as a parameter")


def _q(name: str) -> str:
    """A label, relation type or property name for Cypher text (already validated)."""
    return f"`{name}`"


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _label(labels: Iterable[str], node_id: str) -> str:
    for label in labels:
        if label in LABELS:
            return label
    return label_of(node_id)


def _props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != "id"}


class Neo4jStore(GraphStore):
    """A `GraphStore` on a Bolt server; `database` picks the database (FalkorDB: the graph)."""

    kind = "neo4j"
    _indexed: ClassVar[set[tuple[str, str | None]]] = set()  # (uri, database) seen this process

    def __init__(
        self,
        uri: str,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
    ) -> None:
        self.uri = uri
        self.database = database
        # Until the probe says otherwise, assume a server that may need the handshake nudge.
        self._nudge = True
        self._inline = False
        self._address: tuple[str, int] | None = None
        auth = (user, password or "") if user else None
        self._driver = GraphDatabase.driver(uri, auth=auth, resolver=self._resolve)
        # one bookmark chain for all sessions: each read sees this store's earlier writes, also
        # on a Neo4j cluster
        self._bookmarks = GraphDatabase.bookmark_manager()
        try:
            self._driver.verify_connectivity()  # fail fast (no retries) when nothing is there
            self._inline = self._probe_inlining()
            self._nudge = self._inline
            self._ensure_index()
        except BaseException:
            self._driver.close()
            raise

    # connection ---------------------------------------------------------------------------

    def _resolve(self, address: Any) -> list[Any]:
        """Driver resolver hook, called before each new connection: to a FalkorDB-like server
        (and to a server not probed yet, a little), first clear the state an earlier client's
        GOODBYE may have left (see `_poke`)."""
        self._address = (address.host, address.port)
        if self._nudge:
            self._poke(*self._address, tries=5 if self._inline else 2)
        return [address]

    @staticmethod
    def _poke(host: str, port: int, tries: int = 5) -> None:
        """Open bare connections until the server closes one as soon as we stop writing: a
        connection that gets no answer went to the stale state of an earlier GOODBYE."""
        for _ in range(tries):
            try:
                started = time.monotonic()
                with socket.create_connection((host, port), timeout=1) as probe:
                    round_trip = time.monotonic() - started
                    probe.shutdown(socket.SHUT_WR)
                    probe.settimeout(min(1.0, 0.05 + 4 * round_trip))
                    if probe.recv(1) == b"":
                        return
            except OSError:  # timeouts included
                continue

    def _probe_inlining(self) -> bool:
        """Does the server paste parameters into the query text? (FalkorDB's Bolt bridge does.)"""
        got = self._raw("RETURN $p AS p", {"p": _PROBE})[0]["p"]
        if got == _PROBE:
            return False
        if got != _PROBE[0]:
            raise RuntimeError(f"the Bolt server at {self.uri} alters string parameters ({got!r})")
        check = "it's a \\ test"
        back = self._raw(f"CYPHER p={_literal(check)} RETURN $p AS p")[0]["p"]
        if back != check:
            raise RuntimeError(f"the Bolt server at {self.uri} mangles string literals ({back!r})")
        log.info("%s pastes parameters into queries; sending them as CYPHER literals", self.uri)
        return True

    def _ensure_index(self) -> None:
        key = (self.uri, self.database)
        if key in Neo4jStore._indexed:
            return
        self._create_index()
        Neo4jStore._indexed.add(key)

    def _create_index(self) -> None:
        try:
            self._raw("CREATE INDEX node_id IF NOT EXISTS FOR (n:Node) ON (n.id)", write=True)
            return
        except Neo4jError:
            pass  # not Neo4j 5 syntax: try the older / FalkorDB form
        try:
            self._raw("CREATE INDEX FOR (n:Node) ON (n.id)", write=True)
        except Neo4jError as exc:
            message = str(exc).lower()
            if "already exists" in message or "equivalent" in message:
                return
            # FalkorDB answers "unknown error" when the index exists; queries work without it.
            log.debug("could not create the Node.id index (it may exist already): %s", exc)

    def _raw(
        self, query: str, params: dict[str, Any] | None = None, write: bool = False
    ) -> list[dict[str, Any]]:
        # Managed transactions (retried on transient errors). Not `driver.execute_query`: its
        # message pattern costs FalkorDB a delayed-ACK wait (~40 ms) per query.
        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(query, params or {})]

        with self._driver.session(database=self.database, bookmark_manager=self._bookmarks) as session:
            if write:
                return session.execute_write(work)
            return session.execute_read(work)

    def _run(
        self, query: str, params: dict[str, Any] | None = None, write: bool = False
    ) -> list[dict[str, Any]]:
        params = params or {}
        if self._inline and params:
            prefix = " ".join(f"{name}={_literal(value)}" for name, value in params.items())
            return self._raw(f"CYPHER {prefix} {query}", None, write)
        return self._raw(query, params, write)

    def close(self) -> None:
        self._driver.close()
        if self._inline and self._address is not None:
            # the GOODBYEs just sent would stall the next client's handshake (see module doc)
            self._poke(*self._address)

    # writes -------------------------------------------------------------------------------

    @property
    def inlines_parameters(self) -> bool:
        """True on a server that pastes parameters into the query text (FalkorDB's Bolt bridge)."""
        return self._inline

    def _check_size(self, what: str, props: dict[str, Any]) -> None:
        """FalkorDB's Bolt bridge never finishes sending a record over 64 KB (the client waits
        forever), so refuse to write what could not be read back."""
        if self._inline:
            size = len(_literal(props).encode()) + len(what.encode())
            if size > MAX_RECORD_BYTES:
                raise ValueError(
                    f"{what}: properties of {size} bytes are more than the Bolt server at "
                    f"{self.uri} can return in one record ({MAX_RECORD_BYTES})"
                )

    def upsert_nodes(self, nodes: Iterable[Node]) -> int:
        batch = checked_nodes(nodes)
        for node in batch:
            self._check_size(node.id, node.props)
        by_label: dict[str, list[Node]] = defaultdict(list)
        for node in batch:
            by_label[node.label].append(node)
        for label, group in by_label.items():
            others = ":".join(_q(other) for other in LABELS if other != label)
            query = (
                "UNWIND $rows AS row MERGE (n:Node {id: row.id}) "
                f"REMOVE n:{others} SET n:{_q(label)}, n += row.props"
            )
            for chunk in _chunks(group):
                self._run(query, {"rows": [{"id": n.id, "props": n.props} for n in chunk]}, write=True)
        return len(batch)

    def upsert_triples(self, triples: Iterable[Triple]) -> int:
        batch = checked_triples(triples)
        for t in batch:
            self._check_size(f"{t.head}-{t.rel}->{t.tail}", t.props)
        ends = list(dict.fromkeys(e for t in batch for e in (t.head, t.tail)))
        present = set(self.get_nodes(ends))  # one query per CHUNK ids
        missing = sorted(e for e in ends if e not in present)
        if missing:
            raise MissingNodeError(f"edges name unknown nodes: {', '.join(missing[:10])}")
        by_rel: dict[str, list[Triple]] = defaultdict(list)
        for t in batch:
            by_rel[t.rel].append(t)
        for rel, group in by_rel.items():
            query = (
                "UNWIND $rows AS row MATCH (a:Node {id: row.h}), (b:Node {id: row.t}) "
                f"MERGE (a)-[r:{_q(rel)}]->(b) SET r += row.props"
            )
            for chunk in _chunks(group):
                rows = [{"h": t.head, "t": t.tail, "props": t.props} for t in chunk]
                self._run(query, {"rows": rows}, write=True)
        return len(batch)

    def delete_nodes(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(ids))
        removed = 0
        for chunk in _chunks(wanted):
            rows = self._run(
                "MATCH (n:Node) WHERE n.id IN $ids DETACH DELETE n RETURN count(*) AS c",
                {"ids": list(chunk)},
                write=True,
            )
            removed += rows[0]["c"] if rows else 0
        return removed

    def delete_triples(self, triples: Iterable[tuple[str, str, str]]) -> int:
        by_rel: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for head, rel, tail in dict.fromkeys(tuple(k) for k in triples):
            try:
                check_relation(rel)
            except (ValueError, TypeError):
                continue  # no such edge can exist
            by_rel[rel].append((head, tail))
        removed = 0
        for rel, pairs in by_rel.items():
            for chunk in _chunks(pairs):
                rows = self._run(
                    "UNWIND $rows AS row "
                    f"MATCH (a:Node {{id: row.h}})-[r:{_q(rel)}]->(b:Node {{id: row.t}}) "
                    "DELETE r RETURN count(*) AS c",
                    {"rows": [{"h": h, "t": t} for h, t in chunk]},
                    write=True,
                )
                removed += rows[0]["c"] if rows else 0
        return removed

    def clear(self) -> None:
        while True:
            rows = self._run("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS c", write=True)
            if not rows or rows[0]["c"] == 0:
                return

    # reads --------------------------------------------------------------------------------

    def get_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Node] = {}
        for chunk in _chunks(wanted):
            for row in self._run(
                "MATCH (n:Node) WHERE n.id IN $ids "
                "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props",
                {"ids": list(chunk)},
            ):
                found[row["id"]] = Node(row["id"], _label(row["labels"], row["id"]), _props(row["props"]))
        return found

    def nodes(self, label: str | None = None) -> Iterator[Node]:
        if label is not None and label not in LABELS:
            return  # no node can have it (and it must not reach the query text)
        match = f"(n:Node:{_q(label)})" if label else "(n:Node)"
        rows = self._run(f"MATCH {match} RETURN n.id AS id, labels(n) AS labels, properties(n) AS props")
        for row in rows:
            yield Node(row["id"], _label(row["labels"], row["id"]), _props(row["props"]))

    def triples(self, rel: str | None = None) -> Iterator[Triple]:
        rel = _rel_or_none(rel)
        rows = self._run(
            f"MATCH (a:Node)-[r{':' + _q(rel) if rel else ''}]->(b:Node) "
            "RETURN a.id AS h, type(r) AS rel, b.id AS t, properties(r) AS props"
        )
        for row in rows:
            yield Triple(row["h"], row["rel"], row["t"], dict(row["props"]))

    def edges(
        self, ids: Iterable[str], rel: str | None = None, direction: Direction = "both"
    ) -> list[Triple]:
        rel = _rel_or_none(rel)
        arrow = {"out": ("-", "->"), "in": ("<-", "-"), "both": ("-", "-")}.get(direction)
        if arrow is None:
            raise ValueError(f"direction must be 'out', 'in' or 'both', not {direction!r}")
        rel_type = f":{_q(rel)}" if rel else ""
        query = (
            f"MATCH (n:Node){arrow[0]}[r{rel_type}]{arrow[1]}(m:Node) WHERE n.id IN $ids "
            "RETURN startNode(r).id AS h, type(r) AS rel, endNode(r).id AS t, "
            "properties(r) AS props"
        )
        found: dict[tuple[str, str, str], Triple] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            for row in self._run(query, {"ids": list(chunk)}):
                t = Triple(row["h"], row["rel"], row["t"], dict(row["props"]))
                found[t.key()] = t
        return list(found.values())

    def reach(self, starts: Iterable[str], rel: str, stop: Collection[str] = frozenset()) -> list[Triple]:
        """Three levels per round trip: a pattern of at most three edges enumerates few paths
        even through diamonds, where an unbounded one explodes (see the module notes), and a
        walk 15 levels deep costs 5 queries instead of 15. `stop` is honoured here, over what
        came back: a list of ids in the query would not fit FalkorDB's query size."""
        rel = _rel_or_none(rel)
        if rel is None:
            raise ValueError("a transitive walk needs a relation type")
        query = (
            f"MATCH (s:Node)-[:{_q(rel)}*0..{REACH_LEVELS - 1}]->(a:Node)-[r:{_q(rel)}]->(b:Node) "
            "WHERE s.id IN $ids RETURN DISTINCT a.id AS h, b.id AS t, properties(r) AS props"
        )
        starts = list(dict.fromkeys(starts))
        found: dict[tuple[str, str, str], Triple] = {}
        expanded: set[str] = set()
        frontier = starts
        while frontier:
            expanded.update(frontier)
            for chunk in _chunks(frontier):
                for row in self._run(query, {"ids": list(chunk)}):
                    t = Triple(row["h"], rel, row["t"], dict(row["props"]))
                    found.setdefault(t.key(), t)
                    expanded.add(t.head)  # its out-edges came with it
            # the ends of the deepest edges (and leaves, which cost one more empty lookup)
            frontier = sorted({t.tail for t in found.values()} - expanded)
        if not stop:
            return list(found.values())
        out: dict[str, list[Triple]] = defaultdict(list)
        for t in found.values():
            out[t.head].append(t)
        return walk(starts, lambda heads: [t for h in heads for t in out[h]], stop)

    def degrees(self, ids: Iterable[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            for row in self._run(
                "MATCH (n:Node) WHERE n.id IN $ids "
                "OPTIONAL MATCH (n)-[o]->() WITH n, count(o) AS outgoing "
                "OPTIONAL MATCH (n)<-[i]-() WITH n, outgoing, count(i) AS incoming "
                "RETURN n.id AS id, outgoing + incoming AS d",
                {"ids": list(chunk)},
            ):
                found[row["id"]] = row["d"]
        return found

    def counts(self) -> dict[str, dict[str, int]]:
        nodes: dict[str, int] = defaultdict(int)
        for row in self._run("MATCH (n:Node) RETURN labels(n) AS labels, count(*) AS c"):
            specific = [label for label in row["labels"] if label != "Node"] or ["Node"]
            known = [label for label in specific if label in LABELS]
            nodes[(known or specific)[0]] += row["c"]
        edges: dict[str, int] = defaultdict(int)
        for row in self._run("MATCH (:Node)-[r]->(:Node) RETURN type(r) AS rel, count(*) AS c"):
            edges[row["rel"]] += row["c"]
        return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}
