"""The music21 corpus import: analysing files into records, resuming, and records into graph nodes.

These tests parse only a handful of small corpus files; the full analysis is the checked-in
`data/catalog/music21_corpus.jsonl`, which the last tests check for completeness.
"""

from __future__ import annotations

import json
from pathlib import Path

import music21
import pytest
from music21 import corpus, meter

from kg import corpus as kc
from kg.schema import PERSON, WORK, is_slug
from kg.store import checked_nodes, checked_triples

CHORALE = "bach/bwv66.6.mxl"
ANALYSIS = "bach/choraleAnalyses/riemenschneider001.rntxt"
QUARTET = "schoenberg/opus19/movement2.mxl"
CORPUS_FILE = Path(__file__).resolve().parents[2] / "data" / "catalog" / "music21_corpus.jsonl"


def music21_view(rel: str) -> tuple[str, str | None]:
    """What music21 itself says about a corpus file: (key, first time signature)."""
    score = corpus.parse(rel)
    first = next(iter(score.recurse().getElementsByClass(meter.TimeSignature)), None)
    return str(score.analyze("key")), first.ratioString if first else None


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -- analysing files ------------------------------------------------------------------------------


def test_each_file_gets_music21s_own_key_and_meter():
    records = list(kc.analyze_corpus([CHORALE, ANALYSIS, QUARTET]))

    assert [r["path"] for r in records] == [CHORALE, ANALYSIS, QUARTET]
    for record in records:
        assert "error" not in record
        assert (record["key"], record["meter"]) == music21_view(record["path"])
        assert record["music21"] == music21.__version__
        assert -1.0 <= record["key_confidence"] <= 1.0


def test_a_bach_chorale_record_describes_the_score():
    (record,) = kc.analyze_corpus([CHORALE])

    assert record["key"] == "f# minor"  # music21's spelling: lower-case tonic for minor
    assert record["meter"] == "4/4"
    assert record["parts"] == 4
    assert record["measures"] == 10
    assert record["scores"] == 1
    assert record["composer"]  # from the metadata, or the collection name "bach"
    assert record["title"] == "bwv66.6"  # no title in the file: its stem


def test_absolute_corpus_paths_are_recorded_relative_to_the_corpus_root():
    absolute = kc.corpus_root() / CHORALE
    (record,) = kc.analyze_corpus([absolute])
    assert record["path"] == CHORALE


def test_a_broken_file_gives_an_error_row_and_the_rest_still_runs(tmp_path):
    broken = tmp_path / "broken.musicxml"
    broken.write_text("<score-partwise><part id='P1'><measure>", encoding="utf-8")
    seen = []

    records = list(kc.analyze_corpus([broken, CHORALE], progress=seen.append))

    assert set(records[0]) == {"path", "error", "music21"}
    assert records[0]["error"]
    assert records[1]["key"] == "f# minor"
    assert seen == records  # progress hears about every record


def test_a_file_that_runs_too_long_is_an_error_not_a_hang(monkeypatch):
    def slow_parse(*args, **kwargs):
        import time

        time.sleep(5)

    monkeypatch.setattr(music21.converter, "parse", slow_parse)
    (record,) = kc.analyze_corpus([CHORALE], timeout_s=1)
    assert "timed out" in record["error"]


# -- writing and resuming -------------------------------------------------------------------------


def test_the_corpus_file_is_json_lines_sorted_by_path(tmp_path):
    out = tmp_path / "corpus.jsonl"
    summary = kc.write_corpus_file(out, paths=[QUARTET, CHORALE], progress=False)

    rows = kc.read_records(out)
    assert [r["path"] for r in rows] == sorted([QUARTET, CHORALE])
    assert summary["rows"] == 2 and summary["analysed"] == 2 and summary["errors"] == 0


def test_a_second_run_keeps_finished_rows_and_analyses_only_the_rest(tmp_path, monkeypatch):
    out = write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            # done by this music21 version: kept as it is, not parsed again
            {"path": CHORALE, "key": "kept", "music21": music21.__version__},
            # done by another music21 version: analysed again
            {"path": ANALYSIS, "key": "stale", "music21": "0.0.1"},
        ],
    )
    with out.open("a", encoding="utf-8") as handle:
        handle.write('{"path": "cut short by a kill')  # a half-written last line is ignored
    parsed = []
    real = kc.analyze_file
    monkeypatch.setattr(kc, "analyze_file", lambda p, *a: parsed.append(p) or real(p, *a))

    summary = kc.write_corpus_file(out, paths=[CHORALE, ANALYSIS, QUARTET], progress=False)

    assert sorted(kc.relative_path(p) for p in parsed) == sorted([ANALYSIS, QUARTET])
    rows = {r["path"]: r for r in kc.read_records(out)}
    assert rows[CHORALE]["key"] == "kept"
    assert rows[ANALYSIS]["key"] != "stale"
    assert summary == {**summary, "rows": 3, "kept": 1, "analysed": 2}


def test_rows_of_another_music21_version_stay_until_their_file_is_redone(tmp_path):
    out = write_jsonl(tmp_path / "corpus.jsonl", [
        {"path": CHORALE, "key": "old", "music21": "0.0.1"},
        {"path": QUARTET, "key": "old", "music21": "0.0.1"},
    ])
    summary = kc.write_corpus_file(out, limit=1, paths=[CHORALE, QUARTET], progress=False)

    rows = {r["path"]: r for r in kc.read_records(out)}
    assert rows[CHORALE]["music21"] == music21.__version__
    assert rows[QUARTET] == {"path": QUARTET, "key": "old", "music21": "0.0.1"}
    assert summary["stale"] == 1 and summary["rows"] == 2


def test_a_killed_run_loses_no_finished_row(tmp_path, monkeypatch):
    out = tmp_path / "corpus.jsonl"
    real = kc.analyze_file

    def dies_on_the_second_file(path, *args):
        if kc.relative_path(path) == QUARTET:
            raise KeyboardInterrupt
        return real(path, *args)

    monkeypatch.setattr(kc, "analyze_file", dies_on_the_second_file)
    with pytest.raises(KeyboardInterrupt):
        kc.write_corpus_file(out, paths=[CHORALE, QUARTET], progress=False)
    assert [r["path"] for r in kc.read_records(out)] == [CHORALE]

    monkeypatch.setattr(kc, "analyze_file", real)
    summary = kc.write_corpus_file(out, paths=[CHORALE, QUARTET], progress=False)
    assert summary["kept"] == 1 and summary["analysed"] == 1 and summary["rows"] == 2


def test_limit_caps_the_number_of_new_files(tmp_path):
    out = tmp_path / "corpus.jsonl"
    summary = kc.write_corpus_file(out, limit=1, paths=[CHORALE, QUARTET], progress=False)
    assert summary["analysed"] == 1
    assert [r["path"] for r in kc.read_records(out)] == [CHORALE]


def test_the_command_line_writes_the_file(tmp_path, capsys):
    out = tmp_path / "c.jsonl"
    write_jsonl(out, [{"path": p, "key": "x", "music21": music21.__version__}
                      for p in map(kc.relative_path, kc.core_paths())])
    assert kc.main(["analyze", "--out", str(out), "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["analysed"] == 0 and summary["rows"] == len(kc.core_paths())


# -- graph records --------------------------------------------------------------------------------

ROWS = [
    {"path": CHORALE, "composer": "J.S. Bach", "title": "bwv66.6", "key": "f# minor",
     "meter": "4/4", "parts": 4, "measures": 10, "scores": 1, "music21": "10.5.1"},
    {"path": "palestrina/Agnus_01.krn", "composer": "Palestrina, Giovanni Perluigi da",
     "title": "Agnus", "key": "G major", "meter": "2/1", "parts": 5, "measures": 45,
     "music21": "10.5.1"},
    {"path": "schumann_clara/opus17/movement3.xml", "composer": "schumann_clara",
     "title": "movement3", "key": "g minor", "meter": "3/4", "parts": 3, "measures": 20,
     "music21": "10.5.1"},
    {"path": "ryansMammoth/AndTheDayIsUpToday.abc", "composer": "ryansMammoth",
     "title": "And the Day is Up", "key": "D major", "meter": "6/8", "parts": 1, "measures": 16,
     "music21": "10.5.1"},
    {"path": "trecento/Fava_Dicant_nunc_iudei.xml", "composer": "Anonymous",
     "title": "Dicant nunc iudei", "key": "d minor", "meter": "6/8", "parts": 2, "measures": 30,
     "music21": "10.5.1"},
    {"path": "demos/two-parts.xml", "composer": "demos", "title": "two-parts", "key": "C major",
     "meter": "4/4", "parts": 2, "measures": 4, "music21": "10.5.1"},
    {"path": "leadSheet/fosterBrownHair.mxl", "composer": "Stephen Collins Foster",
     "title": "Jeanie with the Light Brown Hair", "key": "F major", "meter": "4/4", "parts": 1,
     "measures": 30, "music21": "10.5.1"},
    {"path": "bach/broken.mxl", "error": "ParseError: no", "music21": "10.5.1"},
]


def records_for(tmp_path, known):
    nodes, triples = kc.corpus_records(write_jsonl(tmp_path / "c.jsonl", ROWS), known)
    return {n.id: n for n in nodes}, {(t.head, t.rel): t.tail for t in triples}, triples


def test_every_analysed_file_becomes_one_work_node(tmp_path):
    nodes, _, _ = records_for(tmp_path, {})

    works = [n for n in nodes.values() if n.label == WORK]
    assert len(works) == len(ROWS) - 2  # the error row and music21's own test file are skipped
    chorale = nodes["work:m21_bach_bwv66_6_mxl"]
    assert chorale.props == {
        "title": "BWV 66.6", "name": "BWV 66.6", "composer_name": "Johann Sebastian Bach",
        "key": "f# minor", "meter": "4/4", "parts": 4, "measures": 10, "scores": 1,
        "corpus_path": CHORALE, "source": "music21",
    }
    assert all(is_slug(n.id.split(":", 1)[1]) for n in nodes.values())


def test_a_bach_chorale_is_composed_by_the_catalog_bach(tmp_path):
    known = {
        "johann sebastian bach": "person:johann_sebastian_bach",
        "j. s. bach": "person:johann_sebastian_bach",
        "giovanni pierluigi da palestrina": "person:giovanni_pierluigi_da_palestrina",
    }
    nodes, edges, _ = records_for(tmp_path, known)

    assert edges[("work:m21_bach_bwv66_6_mxl", "COMPOSED_BY")] == "person:johann_sebastian_bach"
    assert (edges[("work:m21_palestrina_agnus_01_krn", "COMPOSED_BY")]
            == "person:giovanni_pierluigi_da_palestrina")
    assert "person:m21_johann_sebastian_bach" not in nodes  # no duplicate of a catalog person


def test_a_composer_missing_from_the_catalog_gets_an_m21_person(tmp_path):
    nodes, edges, _ = records_for(tmp_path, {})

    assert edges[("work:m21_bach_bwv66_6_mxl", "COMPOSED_BY")] == "person:m21_johann_sebastian_bach"
    bach = nodes["person:m21_johann_sebastian_bach"]
    assert bach.label == PERSON
    assert bach.props == {"name": "Johann Sebastian Bach", "kind": "composer", "source": "music21"}
    # "Last, First" metadata and collection directories are turned into full names
    assert (edges[("work:m21_palestrina_agnus_01_krn", "COMPOSED_BY")]
            == "person:m21_giovanni_pierluigi_da_palestrina")
    assert (edges[("work:m21_schumann_clara_opus17_movement3_xml", "COMPOSED_BY")]
            == "person:m21_clara_schumann")
    assert (edges[("work:m21_leadsheet_fosterbrownhair_mxl", "COMPOSED_BY")]
            == "person:m21_stephen_collins_foster")


def test_folk_tunes_belong_to_folk_and_anonymous_pieces_have_no_composer(tmp_path):
    nodes, edges, triples = records_for(tmp_path, {})

    folk = "work:m21_ryansmammoth_andthedayisuptoday_abc"
    assert edges[(folk, "IN_GENRE")] == "genre:folk"
    assert (folk, "COMPOSED_BY") not in edges
    work = "work:m21_trecento_fava_dicant_nunc_iudei_xml"
    assert work in nodes
    assert not [t for t in triples if t.head == work]
    assert not [n for n in nodes if n in ("person:m21_anonymous", "person:m21_demos")]


def test_music21s_own_test_files_are_not_works(tmp_path):
    nodes, _, _ = records_for(tmp_path, {})

    assert "work:m21_demos_two_parts_xml" not in nodes


def test_a_file_whose_title_is_its_name_gets_a_readable_one(tmp_path):
    nodes, _, _ = records_for(tmp_path, {})

    assert nodes["work:m21_schumann_clara_opus17_movement3_xml"].name == "Op. 17, movement 3"
    assert nodes["work:m21_palestrina_agnus_01_krn"].name == "Agnus"  # a real title stays


@pytest.mark.parametrize(
    ("path", "title"),
    [("bach/bwv66.6.mxl", "BWV 66.6"), ("haydn/opus74no1/movement2.mxl", "Op. 74 No. 1, movement 2"),
     ("schumann_clara/polonaise_op1n1.mxl", "Polonaise, Op. 1 No. 1"),
     ("beethoven/opus18no1/op18_no1_mvmnt2_all.mxl", "Op. 18 No. 1, movement 2"),
     ("mozart/k545/movement1_exposition.mxl", "K. 545, movement 1, exposition"),
     ("handel/hwv56/movement3-05.md", "HWV 56, movement 3-05"),
     ("verdi/laDonnaEMobile.mxl", "La donna e mobile"), ("joplin/maple_leaf_rag.mxl", "Maple leaf rag"),
     ("airdsAirs/book1.abc", "Airds airs, book 1")],  # a folk collection keeps its name
)
def test_readable_titles_spell_out_catalogue_numbers_and_words(path, title):
    assert kc.readable_title(path) == title


def test_resolve_composer_handles_the_corpus_spellings():
    known = {"wolfgang amadeus mozart": "person:wolfgang_amadeus_mozart"}
    assert kc.resolve_composer("mozart", "mozart", known) == (
        "person:wolfgang_amadeus_mozart", "Wolfgang Amadeus Mozart")
    assert kc.resolve_composer("Ludwig van Beethoven", "beethoven", {}) == (
        None, "Ludwig van Beethoven")
    assert kc.resolve_composer("cpebach", "cpebach", {"bach": "person:jsb"}) == (
        None, "Carl Philipp Emanuel Bach")  # never mistaken for his father
    assert kc.resolve_composer("Traditional", "miscFolk", {}) == (None, None)
    assert kc.resolve_composer(None, "theoryExercises", {}) == (None, None)
    assert kc.resolve_composer("Music21", "demos", {}) == (None, None)  # the library is no composer


def test_manuscript_sigla_and_dates_are_not_part_of_a_name():
    assert kc.resolve_composer("Gherardello F-Pn 568", "trecento", {}) == (
        None, "Gherardello da Firenze")
    assert kc.resolve_composer("Philippe de Vitry (1291 - 1361)", "trecento", {}) == (
        None, "Philippe de Vitry")
    assert kc.resolve_composer("Josquin des Prez \\footnotemark", "josquin", {}) == (
        None, "Josquin des Prez")
    assert kc.resolve_composer("Anonymous I-Rvat 1419", "trecento", {}) == (None, None)


def test_doubtful_attributions_are_left_out():
    assert kc.resolve_composer("Johannes Ciconia (opus dubium)", "trecento", {}) == (None, None)
    assert kc.resolve_composer("Mediolano ? 324", "trecento", {}) == (None, None)


# -- the checked-in analysis of the whole corpus --------------------------------------------------


@pytest.fixture(scope="module")
def corpus_rows():
    if not CORPUS_FILE.exists():
        pytest.skip("data/catalog/music21_corpus.jsonl not generated yet (etude kg analyze-corpus)")
    return kc.read_records(CORPUS_FILE)


def test_the_corpus_file_has_one_row_per_core_corpus_file(corpus_rows):
    paths = [r["path"] for r in corpus_rows]
    assert paths == sorted(set(paths))
    if {r["music21"] for r in corpus_rows} != {music21.__version__}:
        pytest.skip("the corpus file was made with another music21 version: regenerate it")
    assert set(paths) == {kc.relative_path(p) for p in kc.core_paths()}
    for row in corpus_rows:
        assert "error" in row or {"composer", "title", "key", "meter", "parts", "measures"} <= set(row)
    assert sum("error" in r for r in corpus_rows) < len(corpus_rows) / 100


def test_the_whole_corpus_gives_storable_graph_records(corpus_rows):
    nodes, triples = kc.corpus_records(CORPUS_FILE, {})
    ids = [n.id for n in nodes]
    assert len(ids) == len(set(ids))
    music = [r for r in corpus_rows if "error" not in r and not r["path"].startswith("demos/")]
    assert len([n for n in nodes if n.label == WORK]) == len(music)
    checked_nodes(nodes)
    checked_triples(triples)
    assert {t.tail for t in triples if t.rel == "IN_GENRE"} == {"genre:folk"}
    assert {t.tail for t in triples if t.rel == "COMPOSED_BY"} <= set(ids)
