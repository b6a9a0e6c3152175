"""Conversations with the tutor: the real domain, rules, actions and graph, a scripted NLU.

Each test reads as a dialogue: what the learner says (and what the NLU makes of it), then what the
tutor must answer. Answers must be factually right.
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from bot.engine import Engine, TurnNotStored
from bot.messages import UserMessage
from bot.settings import REPO_ROOT
from bot.store import ConversationStore
from tests.bot.tutor import Chat, ScriptedNLU, make_engine


# -- facts ---------------------------------------------------------------------------------------
def test_a_perfect_fifth_is_explained_with_its_seven_semitones(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    [reply] = chat("what is a perfect fifth?")
    assert "seven semitones" in reply["text"]
    assert "builds on" in reply["text"]  # its prerequisites, from the graph
    assert reply["attachment"]["type"] == "audio"
    assert reply["attachment"]["payload"]["src"].startswith("/media/")
    assert any("Quiz" in b["title"] for b in reply["buttons"])
    assert chat.slots["concept"] == "concept:perfect_fifth"


def test_a_question_through_a_basic_concept_is_about_the_concept_built_on_it(
        chat: Chat, nlu: ScriptedNLU) -> None:
    text = "what intervals make up a minor triad"
    nlu.says(text, "explain_concept", ("concept", "intervals"), ("concept", "minor triad"))
    answer = chat.text(text)
    assert answer.startswith("**Minor triad**: A minor triad has a minor third and a perfect fifth")
    assert chat.slots["concept"] == "concept:minor_triad"


def test_the_famous_example_named_is_the_one_the_concepts_description_names_first(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a waltz", "explain_concept", ("concept", "waltz"))
    assert "A famous example: The Blue Danube, Op. 314 by Johann Strauss II." in chat.text("what is a waltz")
    nlu.says("what is a ground bass", "explain_concept", ("concept", "ground bass"))
    assert "A famous example: When I am laid in earth (Dido's Lament) by Henry Purcell." in chat.text(
        "what is a ground bass")


def test_a_bands_song_as_a_famous_example_goes_by_the_band(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a power chord", "explain_concept", ("concept", "power chord"))
    assert "A famous example: Smells Like Teen Spirit by Nirvana." in chat.text("what is a power chord")


def test_works_in_lists_go_by_the_band_else_by_their_composers(chat: Chat) -> None:
    from actions.context import credited

    assert [n.name for n in credited("work:nothing_else_matters")] == ["Metallica"]
    assert [n.name for n in credited("work:canon_in_d")] == ["Johann Pachelbel"]


def test_a_progression_example_names_its_chords(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a tritone substitution", "explain_concept", ("concept", "tritone substitution"))
    text = chat.text("what is a tritone substitution")
    assert "Listen: the progression ii7 ♭II7 Imaj7 in C major (Dm7, D♭7, Cmaj7)." in text


def test_the_c_major_scale_is_spelled_out(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what notes are in the C major scale?", "explain_concept", ("concept", "C major scale"))
    text = chat.text("what notes are in the C major scale?")
    assert "C D E F G A B" in text


def test_the_chords_of_a_key_and_a_progression_in_a_key_are_spelled_with_their_concept(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("what chords are in the key of G", "explain_concept")
    reply = chat("what chords are in the key of G")[0]
    assert reply["text"].startswith("Chords in G major: The chords of G major, one on each degree")
    assert reply["buttons"][0]["title"] == "What are diatonic triads in major?"
    assert reply["buttons"][0]["payload"] == '/explain_concept{"concept": "concept:diatonic_chords"}'
    assert reply.get("attachment")  # the seven chords, played
    nlu.says("whats a ii V I in Bb", "explain_concept", ("concept", "ii V I"))
    reply = chat("whats a ii V I in Bb")[0]
    assert "Cm7, F7, B♭maj7" in reply["text"]
    assert reply["buttons"][0]["title"] == "What is a ii-V-I progression?"


def test_a_chord_asked_about_on_the_guitar_comes_with_its_frets(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "how do i play a B minor chord on guitar"
    nlu.says(text, "explain_concept", ("concept", "B minor chord"), ("instrument", "guitar"))
    assert "x 2 4 4 3 2, a barre chord with the root at the 2nd fret of the A string" in chat.text(text)


def test_which_mode_has_a_raised_fourth_is_answered_with_the_mode_not_the_interval(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("which mode has a raised fourth", "explain_concept", ("concept", "raised fourth"))
    reply = chat("which mode has a raised fourth")[0]
    assert reply["text"].startswith("Lydian mode: The Lydian mode is the only mode of the major scale")
    assert reply["buttons"][0]["payload"] == '/explain_concept{"concept": "concept:lydian_mode"}'
    assert chat.slots["concept"] == "concept:lydian_mode"


def test_two_spellings_of_one_pitch_are_answered_not_read_as_forte(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "is E sharp the same as F"
    nlu.says(text, "compare_concepts", ("concept", "E sharp"), ("concept", "F", "forte (f)"))
    reply = chat(text)[0]
    assert reply["text"].startswith("E♯ and F: Yes: E♯ and F are enharmonic equivalents")
    assert "forte" not in reply["text"].lower()
    assert reply["buttons"][0]["payload"] == '/explain_concept{"concept": "concept:enharmonic_equivalents"}'


def test_a_how_to_question_naming_a_technique_explains_it_not_the_instrument(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("how do i tune a violin", "explain_concept", ("instrument", "violin"))
    nlu.says("tell me about the violin", "explain_concept", ("instrument", "violin"))
    assert chat.text("how do i tune a violin").startswith("**Violin tuning**: ")
    assert chat.text("tell me about the violin").startswith("**Violin**: ")


def test_how_to_learn_an_instrument_asked_as_an_explanation_gets_its_technique_path(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("how do i learn the piano", "explain_concept", ("instrument", "piano"))
    answer = chat.text("how do i learn the piano")
    assert answer.startswith("Your path in piano technique has ") and "\n1. " in answer
    assert "88 keys" not in answer  # not what a piano is
    assert "instrument:piano" in chat.slots["interests"]


def test_how_long_to_practise_is_answered_not_refused_as_off_topic(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "how long should i practise every day"
    nlu.says(text, "explain_concept", ("concept", "practise", "practice routine"))
    answer = chat.text(text)
    assert answer.startswith("**Practice routine**: ") and "15 to 30 minutes a day" in answer
    memory = "whats the best way to memorize scales"
    nlu.says(memory, "explain_concept", ("concept", "memorize scales", "memorising music"))
    answer = chat.text(memory)
    assert answer.startswith("**Memorising music**: ") and "whole and half steps" in answer


def test_a_cadenza_is_placed_in_the_concerto_movement_it_belongs_to(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a cadenza", "explain_concept", ("concept", "cadenza"))
    answer = chat.text("what is a cadenza")
    assert answer.startswith("**Cadenza**: A cadenza is a passage in free time for the soloist alone")
    assert "cadential six-four chord" in answer and "It builds on cadential six-four and fermata." in answer


def test_a_word_the_graph_knows_only_within_longer_names_offers_those(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is vibrato", "explain_concept", ("concept", "vibrato"))
    [reply] = chat("what is vibrato")
    assert reply["text"] == ('I know "vibrato" as vibrato in singing and violin vibrato: '
                             "which one do you mean?")
    offered = [b["payload"] for b in reply["buttons"]]
    assert offered == ['/explain_concept{"concept": "concept:vocal_vibrato"}',
                       '/explain_concept{"concept": "concept:violin_vibrato"}']
    assert chat.text(reply["buttons"][1]["payload"]).startswith("**Violin vibrato**: ")
    nlu.says("play me some flurbing", "ask_example", ("concept", "flurbing"))
    assert chat.text("play me some flurbing").startswith('I don\'t have "flurbing" in my music')


def test_a_word_for_an_instrument_next_to_a_dynamic_is_the_dynamic(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what does forte mean", "explain_concept", ("concept", "forte"))
    nlu.says("and piano?", "explain_concept", ("instrument", "piano"))
    chat("what does forte mean")
    assert chat.text("and piano?").startswith("**Piano (p)**: ")
    nlu.says("tell me about the piano", "explain_concept", ("instrument", "piano"))
    nlu.says("what is a perfect fifth", "explain_concept", ("concept", "perfect fifth"))
    chat("what is a perfect fifth")  # another topic: the piano is the instrument again
    assert chat.text("tell me about the piano").startswith("**Piano**: A keyboard instrument")


def test_a_fragment_read_as_a_profile_statement_continues_the_question_before_it(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what does forte mean", "explain_concept", ("concept", "forte"))
    nlu.says("and piano?", "inform_profile", ("instrument", "piano"))  # read alone: "I play piano"
    chat("what does forte mean")
    assert chat.text("and piano?").startswith("**Piano (p)**: ")
    latest = chat.engine.trackers["learner"].latest_message
    assert latest["intent"]["name"] == "explain_concept"
    assert latest["context"]["follows"] == "explain_concept"
    assert latest["context"]["nlu_intent"]["name"] == "inform_profile"  # what the model said is kept
    assert not chat.engine.trackers["learner"].active_loop  # no onboarding started


def test_a_fragment_about_the_learner_or_after_no_question_is_read_as_it_was(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what does forte mean", "explain_concept", ("concept", "forte"))
    nlu.says("and i play piano", "inform_profile", ("instrument", "piano"))
    nlu.says("hi", "greet")
    nlu.says("and piano?", "inform_profile", ("instrument", "piano"))
    chat("what does forte mean")
    chat("and i play piano")
    assert chat.engine.trackers["learner"].latest_message["intent"]["name"] == "inform_profile"
    chat("hi")
    chat("and piano?")  # after a greeting there is no question to continue
    assert chat.engine.trackers["learner"].latest_message["intent"]["name"] == "inform_profile"


def test_a_broad_concept_asked_within_a_genre_is_the_genres_own_concept_nearest_it(
        chat: Chat, nlu: ScriptedNLU) -> None:
    blues = "what chords are in a blues"
    nlu.says(blues, "explain_concept", ("concept", "chords"), ("genre", "blues"))
    assert chat.text(blues).startswith("**Twelve-bar blues**: ")
    scales = "what scales are used in jazz"
    nlu.says(scales, "explain_concept", ("concept", "scales"), ("genre", "jazz"))
    assert chat.text(scales).startswith("**Modes**: ")
    narrow = "what is the blues scale in jazz"  # a narrow concept stays what was asked
    nlu.says(narrow, "explain_concept", ("concept", "blues scale"), ("genre", "jazz"))
    assert chat.text(narrow).startswith("**Blues scale**: ")


def test_a_broad_concept_word_the_tagger_left_unmarked_beside_a_genre_still_counts(
        chat: Chat, nlu: ScriptedNLU) -> None:
    blues = "what chords are in a blues"
    nlu.says(blues, "explain_concept", ("genre", "blues"))  # "chords" not tagged
    assert chat.text(blues).startswith("**Twelve-bar blues**: ")
    history = "what is the history of the blues"  # no broad concept named: the genre is the topic
    nlu.says(history, "explain_concept", ("genre", "blues"))
    assert chat.text(history).startswith("**Blues**")


def test_the_darkest_and_the_brightest_mode_are_named(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("which mode sounds the darkest", "explain_concept", ("concept", "mode"))
    text = chat.text("which mode sounds the darkest")
    assert text.startswith("**Modes**: ") and "Locrian, the darkest" in text
    assert "brightest to the darkest" in text and "Lydian (a raised fourth)" in text


def test_a_concept_word_the_tagger_left_unmarked_is_explained(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("which mode sounds the darkest", "explain_concept")  # "mode" not tagged
    assert chat.text("which mode sounds the darkest").startswith("**Modes**: ")
    nlu.says("what is a leading tone", "explain_concept", ("concept", "leading tone"))
    chat("what is a leading tone")
    follow_up = "why does it want to resolve"  # the conversation's concept beats a word of the question
    nlu.says(follow_up, "explain_concept")
    assert chat.text(follow_up).startswith("**Leading tone**")


def test_two_things_the_graph_does_not_hold_are_named_when_nothing_was_tagged_or_linked(
        chat: Chat, nlu: ScriptedNLU) -> None:
    text = "what is the difference between a sonata and a symphony"
    nlu.says(text, "compare_concepts")
    assert chat.text(text) == (
        'I can\'t compare those: I don\'t have "sonata" or "symphony" in my music knowledge graph yet. '
        "Could you name them another way?")
    nlu.says(text, "compare_concepts", ("work", "sonata"))  # tagged as a work the graph does not hold
    assert chat.text(text).startswith('I can\'t compare those: I don\'t have "sonata" or "symphony"')
    known = "what is the difference between a tritone and a fifth"  # known things are compared
    nlu.says(known, "compare_concepts")
    assert chat.text(known).lower().startswith("**tritone** (grade")


def test_a_chord_symbol_is_spelled_from_music21(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what's in a G7 chord", "explain_concept", ("concept", "G7 chord"))
    text = chat.text("what's in a G7 chord")
    assert re.search(r"G,? B,? D,? (and )?F", text), text


def test_the_button_to_the_general_concept_takes_an_before_a_vowel(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what notes are in a C augmented triad", "explain_concept", ("concept", "C augmented triad"))
    [reply] = chat("what notes are in a C augmented triad")
    assert "C E G#" in reply["text"].replace("♯", "#")
    assert [b["title"] for b in reply["buttons"]] == ["What is an augmented triad?"]


def test_how_many_semitones_is_a_tritone_explains_the_tritone_not_the_semitone(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    said = "how many semitones is a tritone"
    nlu.says(said, "explain_concept", ("concept", "semitones"), ("concept", "tritone"))
    text = chat.text(said)
    assert text.startswith("**Tritone**") and "six semitones" in text
    assert chat.slots["concept"] == "concept:tritone"


def test_the_pentatonic_scale_unqualified_is_the_major_pentatonic(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is the pentatonic scale", "explain_concept", ("concept", "pentatonic scale"))
    assert chat.text("what is the pentatonic scale").startswith("**Major pentatonic scale**")


def test_the_length_of_a_note_value_is_counted_in_beats(chat: Chat, nlu: ScriptedNLU) -> None:
    said = "how many beats in a dotted half note"
    nlu.says(said, "explain_concept", ("concept", "beats"), ("concept", "dotted half note"))
    assert "a dotted half note lasts 3 beats" in chat.text(said)


def test_a_key_signature_question_taken_for_a_progress_question_is_answered_from_theory(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("how many sharps does D major have", "my_progress")
    nlu.says("how many have i mastered", "my_progress")
    assert "D major has 2 sharps: F♯, C♯." in chat.text("how many sharps does D major have")
    assert chat.text("how many have i mastered").startswith("You're working at grade")


def test_a_theory_question_the_nlu_is_unsure_of_is_answered_not_asked_again(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    # nothing scripted: the NLU falls back on both
    assert "D major has 2 sharps: F♯, C♯." in chat.text("how many sharps does D major have")
    unclear = chat.text("zxq blorp")  # a first unclear message: asked to rephrase, not offered intents
    assert "rephrase" in unclear or "another way" in unclear


def test_a_key_signature_question_taken_for_a_music_fact_is_answered_from_theory(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    said = "how many sharps does D major have"
    nlu.says(said, "music_fact", ("person", "D major"))
    text = chat.text(said)
    assert "D major has 2 sharps: F♯, C♯." in text
    assert "Which composer" not in text


def test_a_question_about_players_of_an_instrument_lists_them(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who is a famous violinist", "music_fact")
    text = chat.text("who is a famous violinist")
    assert text.startswith("Players of the violin in my graph include")


def test_players_of_an_instrument_nobody_in_the_graph_plays_get_what_it_is(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("name a famous oud player", "music_fact")
    assert chat.text("name a famous oud player").startswith("**Oud**: A short-necked fretless lute")


def test_a_music_fact_about_nobody_still_asks_whom_it_is_about(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("when was he born", "music_fact")
    assert chat.text("when was he born") == "Which composer, performer or work do you mean?"


def test_a_work_not_in_the_catalog_is_said_to_be_unknown_not_taken_for_the_last_one(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("what key is Clair de Lune in", "music_fact", ("work", "Clair de Lune"))
    nlu.says("what key is wonderwall in", "music_fact", ("work", "wonderwall"))
    nlu.says("when was it written", "music_fact")
    assert "D♭ major" in chat.text("what key is Clair de Lune in")
    unknown = chat.text("what key is wonderwall in")
    assert unknown.startswith("“wonderwall” is not in my music catalog") and "D♭" not in unknown
    assert chat.text("when was it written") == "Which composer, performer or work do you mean?"
    nlu.says("who taught Beethoven?", "music_fact", ("person", "Beethoven"))
    nlu.says("who taught Zorblax Quint?", "music_fact", ("person", "Zorblax Quint"))
    assert "Haydn" in chat.text("who taught Beethoven?")
    assert "“Zorblax Quint” is not in my music catalog" in chat.text("who taught Zorblax Quint?")


def test_the_dominant_of_a_key_is_answered_even_while_another_chord_is_the_topic(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("what is a major triad", "explain_concept", ("concept", "major triad"))
    nlu.says("what is the dominant of A major", "explain_concept",
             ("concept", "dominant"), ("concept", "major"))
    nlu.says("what is the dominant", "explain_concept", ("concept", "dominant"))
    chat("what is a major triad")
    text = chat.text("what is the dominant of A major")
    assert "In A major, the dominant is E, the 5th degree." in text and "E G♯ B" in text
    chat("what is a major triad")
    degree = chat.text("what is the dominant")  # the scale degree, not "a dominant major triad"
    assert degree.startswith("**Dominant**") and "kind of" not in degree


def test_an_era_or_genre_is_described_with_its_people_and_works(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is the baroque era", "explain_concept", ("era", "baroque"))
    nlu.says("who are some baroque composers", "music_fact", ("era", "baroque"))
    nlu.says("who composed the Moonlight Sonata?", "music_fact", ("work", "Moonlight Sonata"))
    era = chat.text("what is the baroque era")
    assert era.startswith("**Baroque** (1600–1750):") and "Johann Sebastian Bach" in era
    chat("who composed the Moonlight Sonata?")  # a work is now the topic of the conversation
    people = chat.text("who are some baroque composers")
    assert people.startswith("People of the Baroque era in my graph include")
    assert "Beethoven" not in people and "Moonlight" not in people


def test_asked_to_play_what_has_no_sound_the_tutor_says_how_it_is_done(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("how do i play a barre chord", "ask_example", ("concept", "barre chord"))
    text = chat.text("how do i play a barre chord")
    assert text.startswith("**Barre chords**:") and "index finger" in text
    assert text.endswith("I have no sound example of it yet.")


@pytest.mark.parametrize(
    ("said", "word", "instrument", "technique"),
    [
        ("how should i hold a violin bow", "bow", "violin", "**Bow hold**"),
        ("how do i hold the sticks on drums", "sticks", "drums", "**Drumstick grip**"),
        ("when do i use the pedal on the piano", "pedal", "piano", "**Sustain pedal**"),
    ],
)
def test_a_word_of_a_technique_with_its_instrument_names_the_technique(
    chat: Chat, nlu: ScriptedNLU, said: str, word: str, instrument: str, technique: str
) -> None:
    nlu.says(said, "explain_concept", ("instrument", instrument), ("concept", word))
    assert chat.text(said).startswith(technique)


def test_who_is_in_a_band_names_its_members_and_a_band_has_no_teachers(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who is in the beatles", "music_fact", ("person", "the beatles"))
    nlu.says("tell me about nirvana", "music_fact", ("person", "nirvana"))
    assert chat.text("who is in the beatles") == (
        "The members of The Beatles include George Harrison, John Lennon, Paul McCartney and Ringo Starr.")
    nlu.says("who influenced the beatles", "music_fact", ("person", "the beatles"))
    assert chat.text("who influenced the beatles").startswith("The Beatles were influenced by ")
    about = chat.text("tell me about nirvana")
    assert "The members of Nirvana include Dave Grohl, Krist Novoselic and Kurt Cobain." in about
    assert "Nirvana belong to the " in about  # a band, as it "were active"
    assert "teachers" not in about


def test_a_title_the_tagger_cut_in_pieces_is_still_the_work_the_question_names(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    text = "what is Kind of Blue"
    nlu.says(text, "explain_concept", ("work", "Kind"), ("concept", "of Blue"))
    answer = chat.text(text)
    assert "Kind of Blue by Miles Davis (released 1959)" in answer and "I don't have" not in answer
    assert chat.slots["work"] == "work:kind_of_blue"


def test_a_concept_the_tagger_took_for_a_work_is_the_topic_not_an_unknown_work(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    text = "who is the most famous composer of counterpoint"
    nlu.says(text, "music_fact", ("work", "counterpoint"))
    answer = chat.text(text)
    assert answer.startswith("Famous examples of counterpoint: ") and "not in my music catalog" not in answer
    assert "Johann Sebastian Bach" in answer


def test_teachers_and_students_are_told_the_way_round_they_are_asked(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who was Bach's teacher", "music_fact", ("person", "Bach"))
    nlu.says("who did Haydn teach", "music_fact", ("person", "Haydn"))
    nlu.says("who studied with Haydn", "music_fact", ("person", "Haydn"))
    nlu.says("who did Beethoven study with", "music_fact", ("person", "Beethoven"))
    teacher = chat.text("who was Bach's teacher")
    assert teacher.startswith("My graph records no teacher of Johann Sebastian Bach. It does record")
    assert "Carl Philipp Emanuel Bach" in teacher  # offered as his student, not as his teacher
    assert chat.text("who did Haydn teach").startswith("Joseph Haydn taught ")
    assert "Ludwig van Beethoven" in chat.text("who studied with Haydn")
    studied = chat.text("who did Beethoven study with")
    assert studied.startswith("Ludwig van Beethoven studied with ") and "Joseph Haydn" in studied


def test_what_someone_wrote_is_answered_with_their_works_not_their_whole_life(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who was clara schumann", "music_fact", ("person", "clara schumann"))
    nlu.says("what did she write", "music_fact")
    life = chat.text("who was clara schumann")
    assert "born in 1819" in life
    works = chat.text("what did she write")
    assert "Clara Schumann" in works and "Piano Concerto in A minor, Op. 7" in works
    assert "born in 1819" not in works


def test_a_question_that_does_not_point_back_is_not_answered_about_the_last_person(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who was clara schumann", "music_fact", ("person", "clara schumann"))
    nlu.says("who is the greatest composer ever", "music_fact")
    nlu.says("when did she die", "music_fact")
    chat("who was clara schumann")
    assert "Clara Schumann" not in chat.text("who is the greatest composer ever")
    assert chat.text("when did she die") == "Clara Schumann was born in 1819 and died in 1896."


def test_it_after_a_concepts_explanation_is_the_concept_not_the_person_before(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who was clara schumann", "music_fact", ("person", "clara schumann"))
    nlu.says("what is a power chord", "explain_concept", ("concept", "power chord"))
    nlu.says("who plays it", "music_fact")
    chat("who was clara schumann")
    chat("what is a power chord")
    answer = chat.text("who plays it")
    assert answer.startswith("Famous examples of power chord: ") and "Nirvana" in answer
    assert "Clara Schumann" not in answer


def test_players_of_a_genre_are_those_who_play_the_instrument_asked_about(
        chat: Chat, nlu: ScriptedNLU) -> None:
    text = "who are some famous jazz pianists"
    nlu.says(text, "music_fact", ("genre", "jazz"), ("instrument", "pianists", "piano"))
    answer = chat.text(text)
    assert answer.startswith("Pianists of Jazz in my graph include ") and "Herbie Hancock" in answer
    assert "John Coltrane" not in answer and "Louis Armstrong" not in answer  # saxophone, trumpet
    nlu.says("who are some jazz people", "music_fact", ("genre", "jazz"))
    assert "John Coltrane" in chat.text("who are some jazz people")


def test_a_musicians_genres_and_era_read_as_a_sentence(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what genre is miles davis", "music_fact", ("person", "miles davis"))
    nlu.says("what era is miles davis", "music_fact", ("person", "miles davis"))
    assert chat.text("what genre is miles davis") == (
        "Miles Davis's music is bebop, cool jazz, jazz, jazz fusion and modal jazz.")
    assert chat.text("what era is miles davis") == "Miles Davis belongs to the Modern jazz era."


def test_who_composed_the_moonlight_sonata_is_beethoven(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who composed the Moonlight Sonata?", "music_fact", ("work", "Moonlight Sonata"))
    text = chat.text("who composed the Moonlight Sonata?")
    assert "Ludwig van Beethoven" in text
    assert "1801" in text


@pytest.mark.parametrize(
    ("work", "said", "never"),
    [
        ("Tristan und Isolde", "composed by Richard Wagner and first performed in 1865", "Wagner in 1865"),
        ("The Four Seasons", "composed by Antonio Vivaldi and published in 1725", "Vivaldi in 1725"),
        ("Messiah", "composed by George Frideric Handel and first performed in 1742", "Handel in 1742"),
        ("Spoonful", "composed by Willie Dixon and recorded in 1960", "Dixon in 1960"),
    ],
)
def test_a_premiere_publication_or_recording_year_is_never_told_as_the_year_of_composition(
    chat: Chat, nlu: ScriptedNLU, work: str, said: str, never: str
) -> None:
    nlu.says(f"who composed {work}?", "music_fact", ("work", work))
    text = chat.text(f"who composed {work}?")
    assert said in text and never not in text


def test_a_works_key_is_spelled_with_signs_and_its_date_said_once(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what key is the Moonlight Sonata in", "music_fact", ("work", "Moonlight Sonata"))
    nlu.says("and when was it written", "music_fact")
    assert "is in C♯ minor." in chat.text("what key is the Moonlight Sonata in")
    dated = chat.text("and when was it written")
    assert dated.count("1801") == 1, dated


@pytest.mark.parametrize(("text", "dance", "meter"), [
    ("what time signature is a waltz in", "waltz", "3/4"),
    ("what meter is a jig in", "jig", "6/8"),
    ("what time signature is a minuet in", "minuet", "3/4"),
])
def test_the_time_signature_of_a_dance_is_answered_by_the_dance(chat: Chat, nlu: ScriptedNLU, text: str,
                                                                 dance: str, meter: str) -> None:
    asked = "meter" if "meter" in text else "time signature"
    nlu.says(text, "explain_concept", ("concept", asked), ("concept", dance))
    reply = chat.text(text)
    assert reply.lower().startswith(f"**{dance}") and meter in reply.split("\n")[0], reply


def test_one_concept_under_two_names_is_said_to_be_one_thing_not_compared_with_the_last(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a polka", "explain_concept", ("concept", "polka"))
    chat("what is a polka")
    text = "is a gigue the same as a jig"
    nlu.says(text, "compare_concepts", ("concept", "gigue", "jig"), ("concept", "jig"))
    reply = chat.text(text)
    assert reply.startswith("Yes: “gigue” and “jig” are two names for one thing, the jig. A jig is")
    assert "polka" not in reply
    nlu.says("P5 vs perfect fifth", "compare_concepts", ("concept", "P5", "perfect fifth"),
             ("concept", "perfect fifth"))
    assert chat.text("P5 vs perfect fifth").startswith("“P5” and “perfect fifth” are two names for one thing")


def test_a_comparison_says_what_both_build_on_once(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "what is the difference between a march and a polka"
    nlu.says(text, "compare_concepts", ("concept", "march"), ("concept", "polka"))
    reply = chat.text(text)
    assert reply.lower().count("both build on duple meter") == 1, reply


def test_the_time_signature_of_a_work_is_its_own_not_the_concepts(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "what's the time signature of take five"
    nlu.says(text, "explain_concept", ("concept", "time signature"), ("work", "take five"))
    assert chat.text(text) == "Take Five is in 5/4 time. It is a famous example of odd meter and ostinato."
    album = "what's the time signature of kind of blue"
    nlu.says(album, "explain_concept", ("concept", "time signature"), ("work", "kind of blue"))
    answer = chat.text(album)
    # an album has no one meter: say so, and give the description
    assert answer.startswith("My catalog does not record the time signature of Kind of Blue. ")
    assert "upper number" not in answer
    key = "what's the key of clair de lune"
    nlu.says(key, "explain_concept", ("concept", "key"), ("work", "clair de lune"))
    assert chat.text(key) == "Clair de lune is in D♭ major."


def test_a_corpus_works_meter_is_the_one_music21_analysed() -> None:
    from actions.facts import work_sentences
    from actions.services import services
    from kg.corpus import corpus_records

    nodes, _ = corpus_records(REPO_ROOT / "data" / "catalog" / "music21_corpus.jsonl", {})
    chorale = next(n for n in nodes if n.props.get("title") == "BWV 66.6")
    graph = services().graph
    graph.upsert([chorale])  # the conversations' graph is built without the corpus
    try:
        assert work_sentences(graph.entity(chorale.id), ["meter"]) == ["BWV 66.6 is in 4/4 time."]
    finally:
        graph.store.delete_nodes([chorale.id])


def test_a_singer_sang_rather_than_played_the_voice(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what instrument did jimi hendrix play", "music_fact", ("person", "jimi hendrix"))
    text = chat.text("what instrument did jimi hendrix play")
    assert "Jimi Hendrix played the electric guitar and sang." in text and "played the voice" not in text


def test_who_played_an_instrument_in_a_band_names_the_member(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "who played bass in the beatles"
    nlu.says(text, "music_fact", ("instrument", "bass", "double bass"), ("person", "the beatles"))
    # the learner's word finds the bass guitar, even when "bass" was linked to another bass
    assert chat.text(text) == "Paul McCartney was on the bass guitar in The Beatles."
    drummer = "who was the drummer of led zeppelin"
    nlu.says(drummer, "music_fact", ("person", "led zeppelin"))
    assert chat.text(drummer) == "John Bonham was on the drums in Led Zeppelin."  # a player noun
    harp = "who played the harp in queen"
    nlu.says(harp, "music_fact", ("instrument", "harp"), ("person", "queen"))
    assert chat.text(harp) == "My graph records no member of Queen on the harp."


def test_a_band_member_is_named_for_their_part_in_the_band_not_for_everything_they_play(
        chat: Chat, nlu: ScriptedNLU) -> None:
    guitar = "who played guitar in nirvana"
    nlu.says(guitar, "music_fact", ("instrument", "guitar"), ("person", "nirvana"))
    # Dave Grohl plays the guitar too, but in Nirvana he was the drummer
    assert chat.text(guitar) == "Kurt Cobain was on the guitar in Nirvana."
    drums = "who played drums in nirvana"
    nlu.says(drums, "music_fact", ("person", "nirvana"))  # the NLU missed the instrument
    assert chat.text(drums) == "Dave Grohl was on the drums in Nirvana."
    piano = "who played piano in the beatles"
    nlu.says(piano, "music_fact", ("instrument", "piano"), ("person", "the beatles"))
    # no Beatle's part was the piano: those who played it are named
    assert chat.text(piano) == "John Lennon and Paul McCartney were on the piano in The Beatles."


def test_a_learners_word_for_an_instrument_names_its_kinds_but_not_other_instruments() -> None:
    from actions.facts import word_names

    assert word_names("bass", "bass guitar") and word_names("bass", "upright bass")
    assert word_names("guitar", "electric guitar") and not word_names("guitar", "bass guitar")
    assert word_names("Drums", "drums") and not word_names("drum", "drums")


def test_a_living_musician_plays_in_the_present_tense(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what instrument does yo-yo ma play", "music_fact", ("person", "yo-yo ma"))
    assert "Yo-Yo Ma plays the cello." in chat.text("what instrument does yo-yo ma play")
    nlu.says("what did miles davis play", "music_fact", ("person", "miles davis"))
    assert "Miles Davis played the trumpet." in chat.text("what did miles davis play")  # died 1991


def test_a_name_ending_in_a_full_stop_ends_the_sentence_with_one(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who performed Juicy?", "music_fact", ("work", "Juicy"))
    text = chat.text("who performed Juicy?")
    assert "The Notorious B.I.G." in text and "B.I.G.." not in text


def test_an_albums_year_is_its_release(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("tell me about Kind of Blue", "music_fact", ("work", "Kind of Blue"))
    assert "(released 1959)" in chat.text("tell me about Kind of Blue")


def test_facts_about_people_answer_the_question_asked(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("when was Bach born?", "music_fact", ("person", "Bach"))
    nlu.says("who taught Beethoven?", "music_fact", ("person", "Beethoven"))
    nlu.says("and what instruments did he play?", "music_fact")
    assert "1685" in chat.text("when was Bach born?")
    taught = chat.text("who taught Beethoven?")
    assert "Joseph Haydn" in taught and "Antonio Salieri" in taught
    # "he" is the person of the conversation
    assert "piano" in chat.text("and what instruments did he play?")


def test_an_unknown_concept_is_admitted_not_invented(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a flibbertigibbet chord?", "explain_concept", ("concept", "flibbertigibbet"))
    text = chat.text("what is a flibbertigibbet chord?")
    assert "don't have" in text and "flibbertigibbet" in text


# -- context -------------------------------------------------------------------------------------
def test_follow_ups_resolve_against_the_current_concept(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a dominant seventh?", "explain_concept", ("concept", "dominant seventh"))
    nlu.says("and its prerequisites?", "ask_prerequisites")
    nlu.says("play it", "ask_example")
    nlu.says("what about the minor one?", "explain_concept", ("concept", "minor"))

    assert "Dominant seventh chord" in chat.text("what is a dominant seventh?")
    assert "major triad" in chat.text("and its prerequisites?")
    [played] = chat("play it")
    assert played["text"].startswith("Here is an example of dominant seventh chord: ")
    assert "G3 B3 D4 F4" in played["text"] and played["attachment"]["type"] == "audio"
    assert "Minor seventh chord" in chat.text("what about the minor one?")
    assert chat.slots["concept"] == "concept:minor_seventh_chord"


def test_a_question_the_tagger_missed_is_about_what_it_names_not_the_previous_topic(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("what does 3/4 mean", "explain_concept", ("concept", "3/4"))
    nlu.says("how do i read sheet music", "explain_concept")  # nothing tagged
    nlu.says("what is flibbertigibbet", "explain_concept")
    nlu.says("what should i know first?", "ask_prerequisites")
    assert chat.text("what does 3/4 mean").startswith("**3/4 time**")
    # the whole question names a concept by an alias: that one, not 3/4 time again
    assert chat.text("how do i read sheet music").startswith("**Reading sheet music**")
    assert chat.slots["concept"] == "concept:reading_sheet_music"
    # a follow-up made of follow-up words still means the conversation's concept
    assert "Right before reading sheet music" in chat.text("what should i know first?")
    # a word nothing in the graph names is not taken for the previous topic
    unknown = chat.text("what is flibbertigibbet")
    assert "reading sheet music" not in unknown.lower() and "Which concept" in unknown


def test_a_mention_that_names_nothing_whole_is_read_by_its_longest_named_part(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    text = "what are the notes on the treble clef lines"
    nlu.says(text, "explain_concept", ("concept", "treble clef lines"))
    assert chat.text(text).startswith("**Treble clef**")
    # only leading words: what makes it something else is not dropped
    nlu.says("what is quantum harmony", "explain_concept", ("concept", "quantum harmony"))
    assert 'I don\'t have "quantum harmony"' in chat.text("what is quantum harmony")


def test_an_unknown_name_is_said_to_be_unknown_never_answered_with_the_previous_topic(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("what is the pentatonic scale", "explain_concept", ("concept", "pentatonic scale"))
    nlu.says("wat is a flurbl", "explain_concept", ("concept", "flurbl"))
    chat("what is the pentatonic scale")
    text = chat.text("wat is a flurbl")
    assert '"flurbl"' in text and "pentatonic" not in text.lower()


def test_a_quality_word_after_a_concrete_chord_keeps_its_root(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("play me a C major chord", "ask_example", ("concept", "C major chord"))
    nlu.says("now a minor one", "explain_concept", ("concept", "minor"))
    nlu.says("what about diminished", "ask_example", ("concept", "diminished"))
    nlu.says("what is sonata form", "explain_concept", ("concept", "sonata form"))
    nlu.says("and the minor one?", "explain_concept", ("concept", "minor"))
    assert "C E G" in chat.text("play me a C major chord")
    minor = chat.text("now a minor one")
    assert minor.startswith("C minor triad: The C minor triad is C E♭ G.")
    assert "Here is the C diminished triad: C E♭ G♭." in chat.text("what about diminished")
    chat("what is sonata form")  # another topic: the chord is forgotten
    assert "C minor" not in chat.text("and the minor one?")


def test_compare_takes_the_concept_of_the_conversation_as_the_second_one(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("what is a major scale", "explain_concept", ("concept", "major scale"))
    nlu.says(
        "how is it different from the natural minor scale",
        "compare_concepts",
        ("concept", "natural minor scale"),
    )
    chat("what is a major scale")
    text = chat.text("how is it different from the natural minor scale")
    assert "**natural minor scale**" in text.lower() or "natural minor" in text.lower()
    assert "major scale" in text.lower()


def test_a_learning_path_skips_what_the_learner_has_shown_they_know(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("how do I get to secondary dominants?", "learning_path", ("concept", "secondary dominants"))
    first = chat.text("how do I get to secondary dominants?")
    steps = int(re.search(r"has (\d+) step", first).group(1))
    chat.slots["known"] = ["concept:dominant_seventh_chord"]
    again = chat.text("how do I get to secondary dominants?")
    assert int(re.search(r"has (\d+) step", again).group(1)) < steps
    assert "dominant seventh chord" not in again.split("\n", 1)[1].lower()


def test_prerequisites_and_paths_agree_in_number_with_what_they_count(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what comes before secondary dominants", "ask_prerequisites", ("concept", "secondary dominants"))
    nlu.says("what do i need for modes", "ask_prerequisites", ("concept", "modes"))
    several = chat.text("what comes before secondary dominants")
    assert several.startswith("Right before secondary dominants come ")
    assert re.search(r"you still have \d+ concepts to learn", several)
    one = chat.text("what do i need for modes")
    assert re.match(r"Right before modes (come|comes) ", one)
    nlu.says("plan my path to modes", "learning_path", ("concept", "modes"))
    path = chat.text("plan my path to modes")
    assert re.search(r"has \d+ steps?:", path) and "step(s)" not in path


def test_a_name_that_starts_with_a_roman_numeral_keeps_its_case(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a ii V I", "explain_concept", ("concept", "ii V I"))
    text = chat.text("what is a ii V I")
    assert text.startswith("**ii-V-I progression**")


# -- fallback ------------------------------------------------------------------------------------
def test_unclear_messages_get_a_rephrase_request_then_intent_buttons(chat: Chat) -> None:
    first = chat.text("blorp zing")
    assert "rephrase" in first or "another way" in first
    [offer] = chat("zing blorp again")
    titles = [b["title"] for b in offer["buttons"]]
    assert "Explain a music concept" in titles
    payload = next(b["payload"] for b in offer["buttons"] if b["title"] == "Explain a music concept")
    assert payload.startswith("/explain_concept")


def test_a_button_payload_is_an_intent_with_entities(chat: Chat, nlu: ScriptedNLU) -> None:
    text = chat.text('/explain_concept{"concept": "concept:perfect_fifth"}')
    assert "seven semitones" in text
    assert nlu.calls == []  # intent literals skip the NLU


# -- quiz ----------------------------------------------------------------------------------------
def _expected_answer(chat: Chat) -> str:
    from actions.quiz import question
    from music.answers import canonical

    return canonical(question(chat.slots["quiz"]).expected)


def test_a_quiz_asks_checks_tolerantly_hints_scores_and_records(chat: Chat, nlu: ScriptedNLU) -> None:
    # the NLU gives the graph's name as the value; the quiz names the topic as the learner did
    nlu.says("quiz me on perfect fifths", "start_quiz", ("concept", "perfect fifths", "perfect fifth"))
    nlu.says("hint please", "request_hint")
    replies = chat("quiz me on perfect fifths")
    assert replies[0]["text"].startswith("Quiz time: 5 questions on perfect fifths.")  # as asked
    assert replies[1]["text"].startswith("Question 1/5")

    hint = chat.text("hint please")
    assert hint.startswith("Hint:") and "Your answer?" in hint

    right = _expected_answer(chat)
    assert "Correct" in chat.text(right)
    wrong = chat.text("no idea")
    assert "answer" in wrong.lower()
    summary = chat.text("stop")
    assert "Quiz finished: 1/2 correct on perfect fifths." in summary
    progress = chat.slots["progress"]
    record = next(iter(progress.values()))
    assert record["correct"] == 1 and record["wrong"] == 1 and record["hints"] == 1
    assert chat.slots["quiz"] is None


def test_quiz_answers_are_taken_by_the_form_whatever_the_nlu_thinks(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("quiz me on intervals", "start_quiz", ("concept", "intervals"))
    chat("quiz me on intervals")
    answer = _expected_answer(chat)
    nlu.says(answer, "greet")  # a misreading NLU must not hijack the answer
    assert "Correct" in chat.text(answer)


def test_a_question_between_quiz_answers_is_answered_and_the_quiz_asks_again(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("quiz me on intervals", "start_quiz", ("concept", "intervals"))
    nlu.says("who composed the four seasons", "music_fact", ("work", "four seasons"))
    chat("quiz me on intervals")
    asked = chat.slots["quiz"]["index"]

    replies = [r.get("text", "") for r in chat("who composed the four seasons")]
    assert "Antonio Vivaldi" in replies[0]
    assert not any("Not quite" in r for r in replies)  # not graded as an answer
    assert replies[-1].startswith(f"Back to the quiz. Question {asked}/5:")
    assert chat.slots["quiz"]["index"] == asked and chat.slots["quiz"]["answered"] == 0
    assert chat.engine.trackers["learner"].active_loop == "quiz_form"
    assert "Correct" in chat.text(_expected_answer(chat))


def test_an_unsure_question_between_quiz_answers_is_not_graded(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("quiz me on intervals", "start_quiz", ("concept", "intervals"))
    # the NLU is unsure what it asks, but it is plainly a question and no answer
    nlu.says("how do i tune my guitar", "explain_concept", ("instrument", "guitar"), confidence=0.47)
    chat("quiz me on intervals")
    asked = chat.slots["quiz"]["index"]
    replies = [r.get("text", "") for r in chat("how do i tune my guitar")]
    assert not any("Not quite" in r or "couldn't read" in r for r in replies)
    assert replies[-1].startswith(f"Back to the quiz. Question {asked}/5:")
    assert chat.slots["quiz"]["answered"] == 0


def test_a_reply_that_is_no_answer_of_the_kind_asked_is_asked_again_not_graded(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("quiz me on intervals", "start_quiz", ("concept", "intervals"))
    chat("quiz me on intervals")
    asked = chat.slots["quiz"]["index"]
    reply = chat.text("the blue one")  # the NLU falls back on it; it names no note, interval or number
    assert reply.startswith("I couldn't read that as an answer.")
    assert '"skip" to see the answer' in reply and "Your answer?" in reply
    quiz = chat.slots["quiz"]
    assert quiz["index"] == asked and quiz["answered"] == 0 and quiz["score"] == 0
    assert not chat.slots.get("progress")  # nothing recorded against the learner
    assert "Correct" in chat.text(_expected_answer(chat))


def test_a_quiz_on_a_piece_is_a_quiz_on_what_it_is_a_famous_example_of(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "quiz me on the moonlight sonata"
    nlu.says(text, "start_quiz", ("work", "moonlight sonata"))
    reply = chat.text(text)
    assert reply.startswith("I quiz concepts, not pieces: ") and "famous example of arpeggio" in reply
    topic = chat.slots["quiz"]["topic"]
    assert f"Quiz time: 5 questions on {chat.slots['quiz']['label']}" in reply
    assert topic in ("arpeggio", "triplets") or "so here is one on" in reply


def test_a_bare_concept_name_in_a_quiz_is_a_try_of_the_wrong_kind_and_with_a_question_mark_a_question(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("quiz me on intervals", "start_quiz", ("concept", "intervals"))
    for name in ("syncopation", "counterpoint"):  # no note, interval, number or key: never an answer
        nlu.says(name, "explain_concept", ("concept", name))
        nlu.says(f"{name}?", "explain_concept", ("concept", name))
    chat("quiz me on intervals")
    asked = chat.slots["quiz"]["index"]
    assert chat.text("counterpoint").startswith("I couldn't read that as an answer.")
    assert chat.slots["quiz"]["answered"] == 0 and chat.slots["quiz"]["index"] == asked
    replies = [r.get("text", "") for r in chat("syncopation?")]
    assert replies[0].startswith("**Syncopation**")
    assert replies[-1].startswith(f"Back to the quiz. Question {asked}/5:")


def test_a_wrong_answer_the_nlu_takes_for_a_question_is_still_graded(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("quiz me on intervals", "start_quiz", ("concept", "intervals"))
    chat("quiz me on intervals")
    from actions.quiz import question
    from music.answers import check

    expected = question(chat.slots["quiz"]).expected
    candidates = ["minor second", "major second", "C", "D", "7", "5", "major", "minor", "perfect",
                  "C major", "A minor", "C E G", "D F A"]
    wrong = next(c for c in candidates  # an answer of the kind asked, and a wrong one
                 if check(c, expected).normalized and not check(c, expected).correct)
    nlu.says(wrong, "explain_concept", ("concept", wrong))  # readable as an answer: graded
    assert "Not quite" in chat.text(wrong)
    assert chat.slots["quiz"]["answered"] == 1


def test_an_unreadable_answer_the_nlu_calls_out_of_scope_is_asked_again_not_refused(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("quiz me on intervals", "start_quiz", ("concept", "intervals"))
    nlu.says("banana", "out_of_scope")
    chat("quiz me on intervals")
    text = chat.text("banana")
    assert text.startswith("I couldn't read that as an answer.") and "only help with music" not in text
    assert chat.slots["quiz"]["answered"] == 0


def test_i_already_know_a_concept_is_evidence_for_it_not_a_level_change(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "i already know the circle of fifths"
    nlu.says(text, "too_easy", ("concept", "circle of fifths"))
    nlu.says("yes", "affirm")
    reply = chat(text)[0]
    assert reply["text"].startswith("Noted") and "circle of fifths" in reply["text"]
    assert "grade" not in reply["text"] and chat.slots.get("level") in (None, 1.0)  # the level stays
    assert reply["buttons"][0]["payload"] == '/start_quiz{"concept": "concept:circle_of_fifths"}'
    assert chat.slots["progress"]["concept:circle_of_fifths"]  # recorded for the learner model
    assert "Question 1/5" in " ".join(r.get("text", "") for r in chat("yes"))  # the offered quiz


def test_a_short_reply_to_an_offer_is_a_yes_when_the_offer_makes_it_likelier_than_not(
        chat: Chat, nlu: ScriptedNLU) -> None:
    # alone, "k" reads as a stray letter more than as a yes; right after an offer it is a yes
    nlu.says("what is a perfect fifth", "explain_concept", ("concept", "perfect fifth"))
    nlu.says("k", "out_of_scope", confidence=0.55, runners_up=[("affirm", 0.34), ("goodbye", 0.03)])
    chat("what is a perfect fifth")
    assert chat.slots["offer"] == {"action": "quiz_form", "concept": "concept:perfect_fifth"}
    replies = " ".join(r.get("text", "") for r in chat("k"))
    assert "Quiz time" in replies and "Question 1/5" in replies
    assert "Back to the quiz" not in replies  # the quiz opens; nothing was interrupted
    latest = chat.engine.trackers["learner"].latest_message
    assert latest["intent"]["name"] == "affirm"
    assert latest["context"]["nlu_intent"]["name"] == "out_of_scope"  # what the model said is kept


def test_a_short_reply_is_read_alone_when_no_offer_stands_or_when_it_is_clearly_something_else(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("k", "out_of_scope", confidence=0.55, runners_up=[("affirm", 0.34)])
    nlu.says("what is a perfect fifth", "explain_concept", ("concept", "perfect fifth"))
    nlu.says("too hard", "too_hard", confidence=0.97, runners_up=[("deny", 0.01)])
    nlu.says("what is a tritone", "explain_concept", ("concept", "tritone"), confidence=0.6,
             runners_up=[("affirm", 0.2)])
    chat("k")
    assert chat.engine.trackers["learner"].latest_message["intent"]["name"] == "out_of_scope"  # no offer
    chat("what is a perfect fifth")
    assert chat.text("too hard")  # a confident parse keeps its intent
    assert chat.engine.trackers["learner"].latest_message["intent"]["name"] == "too_hard"
    chat("what is a perfect fifth")
    chat("what is a tritone")  # more than three words: not a short reply
    assert chat.engine.trackers["learner"].latest_message["intent"]["name"] == "explain_concept"
    assert chat.slots["concept"] == "concept:tritone"


def test_too_hard_during_a_quiz_lowers_the_level_and_resumes(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("quiz me on triads", "start_quiz", ("concept", "triads"))
    nlu.says("this is too hard", "too_hard")
    nlu.says("too easy", "too_easy")
    chat("quiz me on triads")
    up = chat.text("too easy")
    assert "grade 1 → 2" in up
    down = chat.text("this is too hard")
    assert "grade 2 → 1" in down and "Question" in down  # the quiz goes on
    assert chat.slots["level"] == 1.0
    assert chat.engine.trackers["learner"].active_loop == "quiz_form"


def test_too_hard_after_an_explanation_gives_its_gist_and_offers_a_prerequisite_first(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("what is sonata form", "explain_concept", ("concept", "sonata form"))
    nlu.says("explain it more simply", "too_hard")
    nlu.says("yes", "affirm")
    chat("what is sonata form")
    simpler = chat.text("explain it more simply")
    assert "In short: Sonata form is a three-part plan" in simpler
    assert "It builds on modulation and rounded binary form: shall I explain" in simpler
    offered = chat.slots["offer"]["concept"]
    assert offered in ("concept:modulation", "concept:rounded_binary_form")
    assert chat.text("yes").startswith("**" + ("Modulation" if offered.endswith("modulation") else
                                               "Rounded binary form"))


# -- onboarding ----------------------------------------------------------------------------------
def test_onboarding_fills_the_profile_and_survives_an_interruption(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("i play guitar", "inform_profile", ("instrument", "guitar"))
    nlu.says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    nlu.says("intermediate", "inform_profile", ("skill_level", "intermediate"))
    assert "beginner, intermediate or advanced" in chat.text("i play guitar")
    interrupted = chat("what is a perfect fifth?")
    assert "seven semitones" in interrupted[0]["text"]
    assert "beginner, intermediate or advanced" in interrupted[-1]["text"]  # the form asks again
    assert "get better at" in chat.text("intermediate")
    done = chat.text("playing by ear")
    assert "intermediate guitar" in done and "grade 3" in done
    assert chat.slots["level"] == 3.0 and chat.slots["goals"] == "playing by ear"


def test_a_goal_is_kept_without_the_words_that_introduce_it(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("im a beginner on piano", "inform_profile", ("skill_level", "beginner"),
             ("instrument", "piano"))
    chat("im a beginner on piano")
    done = chat.text("my goal is to play jazz")
    assert 'working towards "play jazz".' in done
    assert chat.slots["goals"] == "play jazz"


def test_a_yes_is_no_goal_and_a_no_means_none_in_particular(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("im a beginner on piano", "inform_profile", ("skill_level", "beginner"),
             ("instrument", "piano"))
    nlu.says("yes", "affirm")
    nlu.says("nothing in particular", "deny")
    chat("im a beginner on piano")
    again = chat.text("yes")
    assert "Tell me in a few words what you'd like to learn." in again and "get better at" in again
    assert chat.slots["goals"] is None
    done = chat.text("nothing in particular")
    assert done.startswith("Great: beginner piano. I'll start you at grade 1 of 8.")
    assert "working towards" not in done and chat.engine.trackers["learner"].active_loop is None


def test_a_goal_that_names_a_genre_heads_the_plan_and_the_next_lesson_into_it(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("im a beginner on guitar", "inform_profile", ("skill_level", "beginner"),
             ("instrument", "guitar"))
    nlu.says("make me a plan", "learning_path")
    nlu.says("what should I learn next?", "next_lesson")
    chat("im a beginner on guitar")
    done = chat.text("i want to play blues")
    assert 'working towards "play blues".' in done
    assert "shall I plan a learning path to twelve-bar blues?" in done
    plan = chat.text("make me a plan")
    assert plan.startswith('For your goal "play blues": Blues pieces in my catalogue are most often')
    assert "Your path to twelve-bar blues has" in plan
    first = re.search(r"^1\. (.+) \(grade", plan, re.M).group(1)
    nxt = chat.text("what should I learn next?")
    assert nxt.startswith(f"Next up: **{first}**") and 'for your goal "play blues"' in nxt


def test_onboarding_stops_asking_after_two_questions_in_a_row_and_keeps_what_it_has(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("i'm a beginner on guitar", "inform_profile", ("skill_level", "beginner"),
             ("instrument", "guitar"))
    nlu.says("what is a power chord", "explain_concept", ("concept", "power chord"))
    nlu.says("what is the circle of fifths", "explain_concept", ("concept", "circle of fifths"))
    nlu.says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    assert "get better at" in chat.text("i'm a beginner on guitar")
    first = chat("what is a power chord")
    assert "get better at" in first[-1]["text"]  # one question between: asked again
    second = [m["text"] for m in chat("what is the circle of fifths")]
    assert "Circle of fifths" in second[0]
    assert any("rest of your profile for later" in t for t in second)
    assert not any("get better at" in t for t in second)
    assert chat.engine.trackers["learner"].active_loop is None
    assert chat.slots["skill_level"] == "beginner" and chat.slots["level"] == 1.0  # kept
    later = chat.text("what is a perfect fifth?")
    assert "seven semitones" in later and "get better at" not in later


def test_onboarding_paused_before_any_answer_confirms_no_empty_profile(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("set up my profile", "inform_profile")
    nlu.says("where do i start", "help")
    nlu.says("thanks!", "thank")
    assert "Which instrument" in chat.text("set up my profile")
    chat("where do i start")
    replies = [m["text"] for m in chat("thanks!")]
    assert any("rest of your profile for later" in t for t in replies)
    assert not any(t.startswith("Great:") for t in replies)
    assert chat.engine.trackers["learner"].active_loop is None


def test_a_request_while_onboarding_asks_for_goals_is_answered_not_taken_for_the_goal(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("i play piano", "inform_profile", ("instrument", "piano"))
    nlu.says("advanced", "inform_profile", ("skill_level", "advanced"))
    nlu.says("recommend me some music", "recommend_music")
    chat("i play piano")
    assert "get better at" in chat.text("advanced")
    replies = [r.get("text", "") for r in chat("recommend me some music")]
    assert replies[0].startswith("You might enjoy")
    assert "get better at" in replies[-1]  # the form asks again
    assert chat.slots["goals"] is None
    done = chat.text("romantic piano repertoire")
    assert 'working towards "romantic piano repertoire"' in done


def test_an_out_of_scope_question_while_onboarding_asks_for_goals_is_not_taken_for_the_goal(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("i play bass", "inform_profile", ("instrument", "bass"))
    nlu.says("beginner", "inform_profile", ("skill_level", "beginner"))
    nlu.says("how do i scale a fish", "out_of_scope")
    nlu.says("play at weddings", "inform_profile")
    chat("i play bass")
    assert "get better at" in chat.text("beginner")
    replies = [r.get("text", "") for r in chat("how do i scale a fish")]
    assert replies[0].startswith("That's outside what I know") and "get better at" in replies[-1]
    assert chat.slots["goals"] is None
    assert 'working towards "play at weddings"' in chat.text("play at weddings")


def test_a_goal_the_nlu_takes_for_a_request_is_still_the_goal(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("i play violin", "inform_profile", ("instrument", "violin"))
    nlu.says("beginner", "inform_profile", ("skill_level", "beginner"))
    nlu.says("i'd like to play folk tunes", "recommend_music", ("genre", "folk"))
    chat("i play violin")
    chat("beginner")
    done = chat.text("i'd like to play folk tunes")  # a statement, not a request
    assert 'working towards "play folk tunes"' in done


def test_a_quiz_on_a_concept_without_questions_says_which_one_it_quizzes(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("quiz me on holding the violin", "start_quiz", ("concept", "holding the violin"))
    first = chat("quiz me on holding the violin")[0]["text"]
    match = re.match(r"I have no quiz questions on holding the violin yet, so here is one on (.+?)\. "
                     r"Quiz time: 5 questions on \1\.", first)
    assert match, first
    chat("no idea")
    summary = chat.text("stop")
    assert f"correct on {match.group(1)}." in summary


def test_an_unknown_instrument_is_refused_with_the_choices(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("i play the zither-harp-o-phone", "inform_profile", ("instrument", "zither-harp-o-phone"))
    text = chat.text("i play the zither-harp-o-phone")
    assert "don't know the instrument" in text and "piano" in text


def test_next_lesson_then_yes_explains_the_offered_concept(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what should I learn next?", "next_lesson")
    nlu.says("yes", "affirm")
    offer = chat.text("what should I learn next?")
    name = re.search(r"\*\*(.+?)\*\*", offer).group(1)
    assert name.lower() in chat.text("yes").lower()


def test_what_comes_after_a_concept_is_what_builds_on_it_ready_ones_first(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    from actions.services import services

    graph = services().graph
    text = "what should i learn after the major scale"
    nlu.says(text, "next_lesson", ("concept", "major scale"))
    nlu.says("yes", "affirm")
    offer = chat.text(text)
    first = re.search(r"\*\*(.+?)\*\*", offer).group(1)
    assert offer.startswith(f"Next after major scale: **{first}**")
    builds_on = {n.name for _, n in graph.neighbours("concept:major_scale", "REQUIRES", "in")}
    assert first in builds_on and "pitch" not in offer  # not a prerequisite of where the learner is
    also = offer.split("Also built on major scale: ", 1)[1].split("\n")[0]
    shown = [name for name in builds_on if name in also]
    assert len(shown) == 6 and also.endswith(f"and {len(builds_on) - 7} more.")
    assert first.lower() in chat.text("yes").lower()


def test_an_intermediate_player_is_not_sent_back_to_grade_one(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("i play piano", "inform_profile", ("instrument", "piano"))
    nlu.says("intermediate", "inform_profile", ("skill_level", "intermediate"))
    nlu.says("reading jazz lead sheets", "inform_profile")
    nlu.says("what should I learn next?", "next_lesson")
    nlu.says("path to tritone substitution", "learning_path", ("concept", "tritone substitution"))
    for said in ("i play piano", "intermediate", "reading jazz lead sheets"):
        chat(said)
    offer = chat.text("what should I learn next?")
    grade = int(re.search(r"\(grade (\d)\)", offer).group(1))
    assert grade >= 3, offer
    path = chat.text("path to tritone substitution")
    assert "pitch (grade 1)" not in path and "below your grade (3)" in path


def test_something_else_after_turning_a_lesson_down_offers_another(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what should I learn next?", "next_lesson")
    nlu.says("no", "deny")
    nlu.says("something else", "next_lesson")
    first = re.search(r"\*\*(.+?)\*\*", chat.text("what should I learn next?")).group(1)
    chat("no")
    second = re.search(r"\*\*(.+?)\*\*", chat.text("something else")).group(1)
    assert second != first


# -- sessions, ordering, storage -----------------------------------------------------------------
def test_a_new_session_keeps_the_profile_but_not_the_context(nlu: ScriptedNLU, tutor_home) -> None:
    later = [0.0]
    engine = make_engine(nlu, clock=lambda: time.time() + later[0])
    chat = Chat(engine)
    nlu.says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    nlu.says("too easy", "too_easy")
    nlu.says("play it", "ask_example")
    chat("what is a perfect fifth?")
    chat("too easy")
    later[0] = 61 * 60
    assert "Which concept" in chat.text("play it")  # "it" no longer refers to anything
    assert chat.slots["level"] == 2.0


def test_messages_of_one_sender_are_processed_in_order_and_senders_in_parallel(tutor_home) -> None:
    class WaitingNLU(ScriptedNLU):
        """Sender 0's first message waits until sender 1's first message has been parsed: with
        senders handled one after the other this would never finish."""

        def __init__(self) -> None:
            super().__init__()
            self.second_started: asyncio.Event | None = None

        async def __call__(self, text: str):
            if self.second_started is None:
                self.second_started = asyncio.Event()
            if text == "1-m0":
                self.second_started.set()
            if text == "0-m0":
                await asyncio.wait_for(self.second_started.wait(), timeout=5)
            await asyncio.sleep(0.01 if text.endswith("0") else 0.0)  # later messages may overtake
            return self.parse_one(text)

    engine = make_engine(WaitingNLU())

    async def run() -> None:
        await asyncio.gather(
            *(engine.handle(UserMessage(f"s{s}", f"{s}-m{i}")) for i in range(3) for s in range(10))
        )

    asyncio.run(run())
    for s in range(10):
        texts = [e["text"] for e in engine.trackers[f"s{s}"].events if e.get("event") == "user"]
        assert texts == [f"{s}-m0", f"{s}-m1", f"{s}-m2"]


def test_every_turn_is_stored_with_behavior_and_restored_after_a_restart(nlu: ScriptedNLU, tmp_path) -> None:
    store = ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}")
    nlu.says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    nlu.says("play it", "ask_example")
    chat = Chat(make_engine(nlu, store))
    chat("what is a perfect fifth?")
    assert store.count_turns("learner") == 1
    kinds = {b.kind for b in store.behavior("learner")}
    assert {"message", "explain_concept"} <= kinds
    [turn] = store.turns("learner")
    assert turn.actions == ["action_session_start", "action_explain_concept"]
    assert turn.parse["intent"]["name"] == "explain_concept" and turn.replies

    restarted = Chat(make_engine(nlu, store))  # a new process: state comes from the store
    [played] = restarted("play it")
    assert "C4 G4" in played["text"]
    assert store.count_turns("learner") == 2


def test_a_turn_the_store_rejects_is_not_acknowledged_and_leaves_no_trace(nlu: ScriptedNLU, tmp_path) -> None:
    store = ConversationStore(f"sqlite:///{tmp_path / 'etude.db'}")
    engine: Engine = make_engine(nlu, store)
    nlu.says("what is a perfect fifth?", "explain_concept", ("concept", "perfect fifth"))
    nlu.says("play it", "ask_example")
    Chat(engine)("what is a perfect fifth?")
    real_save = store.save_turn
    store.save_turn = lambda turn: (_ for _ in ()).throw(RuntimeError("disk full"))  # type: ignore[method-assign]
    with pytest.raises(TurnNotStored):
        Chat(engine)("play it")
    store.save_turn = real_save  # type: ignore[method-assign]
    assert store.count_turns("learner") == 1
    [played] = Chat(engine)("play it")  # the conversation continues from what was stored
    assert "C4 G4" in played["text"]
    users = [e["text"] for e in engine.trackers["learner"].events if e.get("event") == "user"]
    assert users == ["what is a perfect fifth?", "play it"]


def test_music_is_recommended_from_what_the_learner_asked_about_with_reasons(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("who taught Beethoven?", "music_fact", ("person", "Beethoven"))
    nlu.says("recommend me some music", "recommend_music")
    chat("who taught Beethoven?")
    text = chat.text("recommend me some music")
    assert "by Ludwig van Beethoven: because you asked about Ludwig van Beethoven" in text
    artists = text.split("Artists to explore: ", 1)[1]
    assert re.search(r"(Joseph Haydn|Antonio Salieri) \(Ludwig van Beethoven's teacher\)", artists)


def test_music_recommended_for_an_instrument_is_by_people_who_play_it(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("recommend violin music", "recommend_music", ("instrument", "violin"))
    text = chat.text("recommend violin music")
    picks = [line for line in text.splitlines() if line.startswith("• ")]
    assert picks and all("violin" in line for line in picks)  # each reason leads to the violin
    assert "(violin)" in text.split("Artists to explore: ", 1)[1]


def test_music_like_a_named_work_is_near_it_and_not_the_work_itself(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who taught Beethoven?", "music_fact", ("person", "Beethoven"))
    text = "recommend me something like Clair de Lune"
    nlu.says(text, "recommend_music", ("work", "Clair de Lune"))
    chat("who taught Beethoven?")  # an earlier interest must not take over
    picks = [line for line in chat.text(text).splitlines() if line.startswith("• ")]
    assert len(picks) == 5 and all("because you asked about Clair de lune" in line for line in picks)
    assert not any(line.startswith("• Clair de lune") for line in picks)


def test_an_eras_dates_answer_when_it_was(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "when did the baroque period end"
    nlu.says(text, "music_fact", ("era", "baroque period", "Baroque"))
    assert chat.text(text).startswith("The Baroque era spans about 1600 to 1750.")


def test_music_recommended_to_practise_a_concept_shows_it_or_says_it_has_none(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    text = "what's a good song to practise syncopation"
    nlu.says(text, "recommend_music", ("concept", "syncopation"))
    reply = chat.text(text)
    picks = [line for line in reply.splitlines() if line.startswith("• ")]
    assert reply.startswith("You might enjoy:") and picks
    assert "syncopation" in picks[0]  # the best pick is one of its famous examples
    none = "a song to practise barre chords"  # no work in the catalog is an example of them
    nlu.says(none, "recommend_music", ("concept", "barre chords"))
    reply = chat.text(none)
    assert reply.startswith("I don't know pieces that show barre chords yet. Here is music for you instead:")
    assert "• " in reply


def test_music_like_someone_not_in_the_catalog_says_so_first(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "music like Ludovico Einaudi"
    nlu.says(text, "recommend_music", ("person", "Ludovico Einaudi"))
    reply = chat.text(text)
    assert reply.startswith("I don't know Ludovico Einaudi: not in my music catalog. Here is music picked")
    assert "• " in reply and "because you asked about Ludovico" not in reply


def test_a_plan_to_learn_a_genre_heads_for_what_its_famous_works_exemplify(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    text = "make me a plan to learn jazz piano"
    nlu.says(text, "learning_path", ("genre", "jazz"), ("instrument", "piano"))
    reply = chat.text(text)
    assert reply.startswith("Jazz pieces in my catalogue are most often famous examples of "
                            "twelve-bar blues, ii-V-I progression")
    assert "so a path into jazz starts with twelve-bar blues. Your path to twelve-bar blues has" in reply
    assert chat.slots["concept"] == "concept:twelve_bar_blues"


def test_a_plan_to_play_a_piece_leads_through_everything_it_is_a_famous_example_of(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    text = "how do i work up to playing Take Five"
    nlu.says(text, "learning_path", ("work", "Take Five"))
    reply = chat.text(text)
    assert reply.startswith("Take Five is a famous example of odd meter and ostinato. Your path to them has ")
    steps = re.findall(r"^\d+\. (.+) \(grade", reply, re.M)
    assert steps[0] == "beat" and "odd meter" in steps  # the first twelve steps are listed
    assert steps.index("simple meter") < steps.index("odd meter")  # each after what it builds on
    assert chat.slots["work"] == "work:take_five" and chat.slots["concept"] == "concept:ostinato"


def test_a_plan_for_an_instrument_is_its_technique_lessons_in_order(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "what is the best way to practise piano"
    nlu.says(text, "learning_path", ("instrument", "piano"))
    reply = chat.text(text)
    assert reply.startswith("Your path in piano technique has ")
    steps = [line.split(". ", 1)[1].rsplit(" (grade", 1)[0] for line in reply.splitlines()
             if line[:1].isdigit()]
    assert steps and "piano posture" in steps
    assert "I don't have" not in reply  # the piano is an instrument the graph has
    assert chat.slots["offer"]["action"] == "action_explain_concept"


def test_music_recommended_for_an_era_is_by_several_artists_and_for_a_person_all_theirs(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("recommend some baroque music", "recommend_music", ("era", "baroque"))
    picks = [line for line in chat.text("recommend some baroque music").splitlines() if line.startswith("• ")]
    artists = [re.search(r" by (.+?): ", line).group(1) for line in picks]
    assert len(picks) == 5 and max(artists.count(a) for a in artists) <= 2, artists
    nlu.says("recommend music by bach", "recommend_music", ("person", "bach"))
    picks = [line for line in chat.text("recommend music by bach").splitlines() if line.startswith("• ")]
    assert len(picks) == 5 and all(" by Johann Sebastian Bach" in line for line in picks)


def test_an_example_asked_of_a_person_or_a_genre_is_their_music_not_a_question_for_a_concept(
        chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what is a perfect fifth", "explain_concept", ("concept", "perfect fifth"))
    chat.text("what is a perfect fifth")
    text = "play me something by miles davis"
    nlu.says(text, "ask_example", ("person", "miles davis"))
    picks = [line for line in chat.text(text).splitlines() if line.startswith("• ")]
    assert picks and all(" by Miles Davis" in line for line in picks), picks
    assert "person:miles_davis" in chat.slots["interests"]
    nlu.says("give me an example of baroque music", "ask_example", ("era", "baroque"))
    picks = [line for line in chat.text("give me an example of baroque music").splitlines()
             if line.startswith("• ")]
    assert len(picks) == 5
    nlu.says("play me an example", "ask_example")  # the lesson's topic is still the fifth
    assert chat.text("play me an example").startswith("Here is an example of perfect fifth: ")


def test_the_artist_to_explore_for_a_genre_is_its_best_connected_one(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("recommend me some jazz", "recommend_music", ("genre", "jazz"))
    assert chat.text("recommend me some jazz").endswith("Artists to explore: Miles Davis (Jazz).")


def test_a_famous_piece_asked_for_by_a_concept_is_one_of_its_famous_examples(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    text = "what's a famous piece in 5/4"
    nlu.says(text, "music_fact", ("concept", "5/4"))
    reply = chat.text(text)
    assert reply.startswith("Famous examples of odd meter: ")
    assert "Take Five by Paul Desmond" in reply
    assert chat.slots["concept"] == "concept:odd_meter"


def test_how_old_is_answered_with_the_age_the_years_give(chat: Chat, nlu: ScriptedNLU) -> None:
    from datetime import UTC, datetime

    nlu.says("how old was beethoven when he died", "music_fact", ("person", "beethoven"))
    assert chat.text("how old was beethoven when he died") == (
        "Ludwig van Beethoven was born in 1770 and died in 1827, aged 56 or 57.")  # years, not dates
    nlu.says("how old is yo-yo ma", "music_fact", ("person", "yo-yo ma"))
    age = datetime.now(UTC).year - 1955
    assert chat.text("how old is yo-yo ma") == (
        f"Yo-Yo Ma was born in 1955 and is {age - 1} or {age} now.")
    nlu.says("when did bach die", "music_fact", ("person", "bach"))
    assert chat.text("when did bach die") == "Johann Sebastian Bach was born in 1685 and died in 1750."


def test_he_after_a_question_about_a_work_means_its_composer(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("who composed the Moonlight Sonata?", "music_fact", ("work", "Moonlight Sonata"))
    nlu.says("when was he born?", "music_fact")
    nlu.says("and when was it written?", "music_fact")
    chat("who composed the Moonlight Sonata?")
    assert "born in 1770" in chat.text("when was he born?")
    assert "1801" in chat.text("and when was it written?")


def test_x_and_y_compares_both_with_a_shared_noun_distributed(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "what is the difference between major and minor scales"
    nlu.says(text, "compare_concepts", ("concept", "major"))
    answer = chat.text(text)
    assert "**major scale**" in answer and "**natural minor scale**" in answer
    assert "W W H W W W H" in answer
    connect = answer.split("How they connect: ", 1)[1].split("\n", 1)[0]
    assert connect.endswith(".") and ".." not in connect and ".;" not in connect


def test_a_comparison_offers_a_quiz_on_either_concept(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "compare major and minor scales"
    nlu.says(text, "compare_concepts", ("concept", "major"))
    [reply] = chat(text)
    titles = [b["title"] for b in reply["buttons"]]
    assert titles == ["Quiz me on major scale", "Quiz me on natural minor scale"]
    replies = " ".join(r.get("text", "") for r in chat(reply["buttons"][1]["payload"]))
    assert "Quiz time: 5 questions on natural minor scale" in replies


def test_a_yes_or_no_question_about_one_concept_is_explained_not_compared(
        chat: Chat, nlu: ScriptedNLU) -> None:
    chat("what is a minor third?")
    text = "is a tritone dissonant"
    # the NLU took the question's shape for a comparison and the adjective for part of the name
    nlu.says(text, "compare_concepts", ("concept", "tritone dissonant"))
    answer = chat.text(text)
    assert answer.startswith("**Tritone**: A tritone spans six semitones") and "minor third" not in answer
    follow = "how does it differ from a perfect fifth"
    nlu.says(follow, "compare_concepts", ("concept", "perfect fifth"))
    compared = chat.text(follow)  # a real comparison still takes the current concept
    assert "**perfect fifth**" in compared and "**tritone**" in compared


def test_a_shared_noun_beats_a_loose_link_of_the_bare_modifier(chat: Chat, nlu: ScriptedNLU) -> None:
    text = "what's the difference between harmonic and melodic minor"
    # the NLU linked "harmonic" on its own, to the nearest name it knows
    nlu.says(text, "compare_concepts", ("concept", "harmonic", "enharmonic equivalents"),
             ("concept", "melodic minor", "melodic minor scale"))
    answer = chat.text(text)
    assert answer.startswith("**harmonic minor scale** (grade 4)") and "**melodic minor scale**" in answer
    assert "enharmonic" not in answer
    exact = "difference between a chord and an arpeggio"  # both named exactly: the NLU's pair stands
    nlu.says(exact, "compare_concepts", ("concept", "chord"), ("concept", "arpeggio"))
    assert chat.text(exact).startswith("**chord** (grade 2)")


def test_two_bare_qualities_compare_the_scales_or_else_the_triads(chat: Chat, nlu: ScriptedNLU) -> None:
    scales = "what's the difference between major and minor"
    nlu.says(scales, "compare_concepts", ("concept", "major"), ("concept", "minor"))
    answer = chat.text(scales)
    assert answer.startswith("**major scale**") and "**natural minor scale**" in answer
    triads = "augmented vs diminished?"
    nlu.says(triads, "compare_concepts", ("concept", "augmented"), ("concept", "diminished"))
    answer = chat.text(triads)
    # not the octatonic scale, which some call the diminished scale
    assert answer.startswith("**augmented triad**") and "**diminished triad**" in answer


def having_seen_a_tritone_and_a_fifth(chat: Chat, nlu: ScriptedNLU) -> None:
    """Two concepts explained: a comparison that fell back on the concepts seen would take them."""
    nlu.says("what is a tritone", "explain_concept", ("concept", "tritone"))
    nlu.says("what is a perfect fifth", "explain_concept", ("concept", "perfect fifth"))
    chat("what is a tritone")
    chat("what is a perfect fifth")


def test_two_eras_are_compared_with_their_dates_not_the_concepts_seen_before(
        chat: Chat, nlu: ScriptedNLU) -> None:
    having_seen_a_tritone_and_a_fifth(chat, nlu)
    text = "what distinguishes baroque music from classical music"
    # "classical music" is also a genre's name; beside an era it is the Classical period
    nlu.says(text, "compare_concepts", ("era", "baroque"), ("genre", "classical music"))
    answer = chat.text(text)
    assert answer.startswith("**Baroque** (1600–1750): ")
    assert "**Classical period** (1750–1820): " in answer
    assert "tritone" not in answer.lower() and "fifth" not in answer.lower()


def test_two_genres_or_two_people_are_compared_by_what_the_graph_says_of_each(
        chat: Chat, nlu: ScriptedNLU) -> None:
    text = "bebop vs cool jazz, how do they differ"
    nlu.says(text, "compare_concepts", ("genre", "bebop"), ("genre", "cool jazz"))
    answer = chat.text(text)
    assert answer.startswith("**Bebop**: ") and "\n**Cool jazz**: " in answer
    assert "Miles Davis" in answer  # in both genres, in the graph
    nlu.says("bach vs handel", "compare_concepts", ("person", "bach"), ("person", "handel"))
    answer = chat.text("bach vs handel")
    assert answer.startswith("**Johann Sebastian Bach**: ") and "**George Frideric Handel**: " in answer


def test_which_of_two_instruments_is_harder_is_a_comparison_not_a_complaint(
        chat: Chat, nlu: ScriptedNLU) -> None:
    text = "which is harder, violin or piano"
    # the NLU heard "harder" and took it for "make it harder"
    nlu.says(text, "too_easy", ("instrument", "violin"), ("instrument", "piano"))
    [reply] = chat(text)
    assert reply["text"].startswith("**Violin**: ") and "grade 1 → 2" not in reply["text"]
    assert "Which is harder depends on the learner" in reply["text"]
    assert re.search(r"The violin: \d+ technique lessons from grade 1 to \d", reply["text"])
    assert [b["title"] for b in reply["buttons"]] == ["Learn the violin", "Learn the piano"]
    assert chat.slots.get("level") in (None, 1.0)  # the level is untouched
    path = chat.text(reply["buttons"][0]["payload"])
    assert path.startswith("Your path in violin technique has ")
    nlu.says("too easy, give me something harder", "too_easy")
    assert "grade 1 → 2" in chat.text("too easy, give me something harder")  # a complaint still is one


def test_a_comparison_of_things_the_graph_lacks_says_so_instead_of_comparing_the_last_two(
        chat: Chat, nlu: ScriptedNLU) -> None:
    having_seen_a_tritone_and_a_fifth(chat, nlu)
    text = "what is the difference between a sonata and a symphony"
    nlu.says(text, "compare_concepts", ("concept", "sonata"))  # the graph has sonata form, not "sonata"
    answer = chat.text(text)
    assert answer.startswith("I can't compare those: I don't have \"sonata\" in my music knowledge graph")
    assert "tritone" not in answer and "fifth" not in answer
    follow = "how does it differ from a perfect fourth"  # "it": the topic, not something unknown
    nlu.says(follow, "compare_concepts", ("concept", "it"), ("concept", "perfect fourth"))
    compared = chat.text(follow)
    assert "**perfect fourth**" in compared and "**perfect fifth**" in compared


def test_eras_and_works_read_naturally_without_repeating(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("what era is Chopin from", "music_fact", ("person", "Chopin"))
    nlu.says("who wrote the magic flute?", "music_fact", ("work", "magic flute"))
    assert chat.text("what era is Chopin from") == "Frédéric Chopin belongs to the Romantic era."
    answer = chat.text("who wrote the magic flute?")
    assert answer.count("Wolfgang Amadeus Mozart") == 1 and "1791" in answer


def test_a_quiz_on_an_unknown_topic_says_so_and_quizzes_the_learners_path(
    chat: Chat, nlu: ScriptedNLU
) -> None:
    nlu.says("quiz me on counterpoint grooves", "start_quiz", ("concept", "counterpoint grooves"))
    first = chat("quiz me on counterpoint grooves")[0]["text"]
    assert first.startswith('I have no quiz on "counterpoint grooves"')
