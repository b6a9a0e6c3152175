"""Phrasings used to turn the graph's facts into training sentences (distant supervision).

These are the generator's own wordings, written for it and kept apart from the held-out set
(`data/relext/heldout.yml`), which was written separately and is never read by training.

Slots: `P`, `P2`, `P3` people; `B` a band; `W`, `W2` works; `I` an instrument by name ("the
piano"); `J` an instrument as a player noun ("pianist"); `G` a genre; `C` a concept; `E` an era.
`X` is a person in another role (dedicatee, producer, arranger, ...) who takes part in no stated
fact. Non-entity slots: `{form}` (the work's form, "symphony"), `{year}` (the work's year) and
`{nat}` (a person's nationality). Each template lists the facts it states as (slot, RELATION, slot); every
other pair of entities in the sentence is a NONE example.
"""

from __future__ import annotations

Template = tuple[str, list[tuple[str, str, str]]]

_C = "COMPOSED_BY"
_PF = "PERFORMED_BY"
_S = "STUDIED_WITH"
_INF = "INFLUENCED_BY"
_PL = "PLAYS"
_M = "MEMBER_OF"
_G = "IN_GENRE"
_X = "EXAMPLE_OF"

TEMPLATES: dict[str, list[Template]] = {
    _C: [
        ("{P} wrote {W}.", [("W", _C, "P")]),
        ("{P} composed {W}.", [("W", _C, "P")]),
        ("{P} composed {W} in {year}.", [("W", _C, "P")]),
        ("{W} was composed by {P}.", [("W", _C, "P")]),
        ("{W} was written by {P} in {year}.", [("W", _C, "P")]),
        ("{W} is a {form} by {P}.", [("W", _C, "P")]),
        ("{W}, a {form} by {P}, is still often played.", [("W", _C, "P")]),
        ("The {form} {W} is the work of {P}.", [("W", _C, "P")]),
        ("{P}'s {W} is one of the best-known pieces of its kind.", [("W", _C, "P")]),
        ("Among the works of {P} is {W}.", [("W", _C, "P")]),
        ("{P} completed {W} in {year}.", [("W", _C, "P")]),
        ("{P} is the composer of {W}.", [("W", _C, "P")]),
        ("It was {P} who composed {W}.", [("W", _C, "P")]),
        ("Listeners know {P} above all for the {form} {W}.", [("W", _C, "P")]),
        ("{W} ({year}) is by {P}.", [("W", _C, "P")]),
        ("The composer of {W} was {P}.", [("W", _C, "P")]),
        ("{P} finished writing {W} in {year}.", [("W", _C, "P")]),
        ("{W} was one of the pieces {P} wrote.", [("W", _C, "P")]),
        ("{P}'s {form} {W} was first heard in {year}.", [("W", _C, "P")]),
        ("In {year}, {P} wrote the {form} {W}.", [("W", _C, "P")]),
        ("{W}, composed by {P}, is a famous example of {C}.", [("W", _C, "P"), ("W", _X, "C")]),
        ("{P}, who studied with {P2}, wrote {W}.", [("W", _C, "P"), ("P", _S, "P2")]),
        ("{P} wrote {W} and {W2}.", [("W", _C, "P"), ("W2", _C, "P")]),
        ("{W} is a {G} {form} by {P}.", [("W", _C, "P"), ("W", _G, "G")]),
        ("{W} was written by {P} and later recorded by {P2}.", [("W", _C, "P"), ("W", _PF, "P2")]),
        ("{P} wrote and recorded {W}.", [("W", _C, "P"), ("W", _PF, "P")]),
        ("{W} was written and first recorded by {P}.", [("W", _C, "P"), ("W", _PF, "P")]),
        # other roles a person can have towards a work: none of them is the composer
        ("{P} wrote {W} for {X}.", [("W", _C, "P")]),
        ("{P} dedicated {W} to {X}.", [("W", _C, "P")]),
        ("{W}, commissioned by {X}, was composed by {P}.", [("W", _C, "P")]),
        ("{P} composed {W} on a text by {X}.", [("W", _C, "P")]),
        ("{X} arranged {P}'s {W} for a larger ensemble.", [("W", _C, "P")]),
        ("{P}'s {W} borrows a theme by {X}.", [("W", _C, "P")]),
        ("{X} conducted the first performance of {W}, which {P} had just finished.",
         [("W", _C, "P")]),
        ("{P} wrote the music for {W}.", [("W", _C, "P")]),
        ("{W} has music by {P} and words by {P2}.", [("W", _C, "P"), ("W", _C, "P2")]),
        ("{P} wrote the lyrics of {W}.", [("W", _C, "P")]),
        ("{P2} completed {W}, which {P} had left unfinished.", [("W", _C, "P"), ("W", _C, "P2")]),
        ("{X} orchestrated {P}'s {W}.", [("W", _C, "P")]),
        ("{P}'s {W} was premiered by {P2} in {year}.", [("W", _C, "P"), ("W", _PF, "P2")]),
        ("{P} is best remembered as the author of {W}.", [("W", _C, "P")]),
        ("{W}, from the pen of {P}, appeared in {year}.", [("W", _C, "P")]),
        ("{P} co-wrote {W} with {P2}.", [("W", _C, "P"), ("W", _C, "P2")]),
        ("{P}'s {G} {form} {W} was a success.", [("W", _C, "P"), ("W", _G, "G")]),
    ],
    _PF: [
        ("{W} was recorded by {P}.", [("W", _PF, "P")]),
        ("{P} recorded {W}.", [("W", _PF, "P")]),
        ("{P} recorded {W} in {year}.", [("W", _PF, "P")]),
        ("{W} is an {form} by {P}.", [("W", _PF, "P")]),
        ("{P} released {W} in {year}.", [("W", _PF, "P")]),
        ("{W} was released by {P} in {year}.", [("W", _PF, "P")]),
        ("{P}'s recording of {W} became well known.", [("W", _PF, "P")]),
        ("{W} was performed by {P}.", [("W", _PF, "P")]),
        ("{P} performed {W}.", [("W", _PF, "P")]),
        ("{P} made {W} famous.", [("W", _PF, "P")]),
        ("{W}, released by {P} in {year}, sold well.", [("W", _PF, "P")]),
        ("{P}'s {year} {form} {W} is widely admired.", [("W", _PF, "P")]),
        ("The {form} {W} was recorded by {P}.", [("W", _PF, "P")]),
        ("{W} is a {form} recorded by {P}.", [("W", _PF, "P")]),
        ("The best-known version of {W} is by {P}.", [("W", _PF, "P")]),
        ("{P} had a hit with {W}.", [("W", _PF, "P")]),
        ("{P} put out {W} in {year}.", [("W", _PF, "P")]),
        ("On {W}, {P} is heard at the height of their powers.", [("W", _PF, "P")]),
        ("{W} is the {form} that {P} is best remembered for recording.", [("W", _PF, "P")]),
        ("{P}, a {G} {J}, recorded {W}.", [("W", _PF, "P"), ("P", _G, "G"), ("P", _PL, "J")]),
        ("{W} was recorded by {P}, who played {I} on it.", [("W", _PF, "P"), ("P", _PL, "I")]),
        ("{W} is a {G} {form} recorded by {P}.", [("W", _PF, "P"), ("W", _G, "G")]),
        ("{P} recorded {W} with the producer {X}.", [("W", _PF, "P")]),
        ("{P}'s own recording of {W} is widely admired.", [("W", _PF, "P")]),
        ("{P}'s record {W} came out in {year}.", [("W", _PF, "P")]),
        ("{W}, produced by {X}, was a hit for {P}.", [("W", _PF, "P")]),
        ("{P} sang {W} on a show hosted by {X}.", [("W", _PF, "P")]),
        ("{P} gave the first performance of {W}.", [("W", _PF, "P")]),
        ("{P} premiered {W} in {year}.", [("W", _PF, "P")]),
        ("{P}'s version of {W} reached a wide audience.", [("W", _PF, "P")]),
        # a performer's possessive names their record, as a composer's names their composition
        ("{P}'s {W} was a hit in {year}.", [("W", _PF, "P")]),
        ("{P}'s {W} is one of the best-known records of its time.", [("W", _PF, "P")]),
        ("Fans still play {P}'s {W}.", [("W", _PF, "P")]),
        ("{W} became a signature tune for {P}.", [("W", _PF, "P")]),
        ("{P} cut {W} for a small label.", [("W", _PF, "P")]),
        ("{W} was sung by {P}.", [("W", _PF, "P")]),
        ("{P} covered {W}.", [("W", _PF, "P")]),
        ("{P2} played {I} on {P}'s recording of {W}.", [("W", _PF, "P"), ("P2", _PL, "I")]),
        ("{W}, written by {P2}, became a hit for {P}.", [("W", _PF, "P"), ("W", _C, "P2")]),
        ("{X} conducted {P} in a recording of {W}.", [("W", _PF, "P")]),
        ("{P} first sang {W} in {year}, backed by {X}.", [("W", _PF, "P")]),
    ],
    _S: [
        ("{P} studied with {P2}.", [("P", _S, "P2")]),
        ("{P} was a student of {P2}.", [("P", _S, "P2")]),
        ("{P} took lessons from {P2}.", [("P", _S, "P2")]),
        ("{P2} taught {P}.", [("P", _S, "P2")]),
        ("{P2} was the teacher of {P}.", [("P", _S, "P2")]),
        ("{P2} was {P}'s teacher.", [("P", _S, "P2")]),
        ("Among the pupils of {P2} was {P}.", [("P", _S, "P2")]),
        ("{P} studied composition under {P2}.", [("P", _S, "P2")]),
        ("{P} trained with {P2}.", [("P", _S, "P2")]),
        ("As a young musician, {P} studied with {P2}.", [("P", _S, "P2")]),
        ("{P2} gave lessons to {P}.", [("P", _S, "P2")]),
        ("{P} was taught by {P2}.", [("P", _S, "P2")]),
        ("{P}, a pupil of {P2}, became a composer in turn.", [("P", _S, "P2")]),
        ("{P2} counted {P} among the students.", [("P", _S, "P2")]),
        ("{P} learned counterpoint from {P2}.", [("P", _S, "P2")]),
        ("{P} went to study with {P2}.", [("P", _S, "P2")]),
        ("{P2}'s students included {P}.", [("P", _S, "P2")]),
        ("{P} was one of {P2}'s pupils.", [("P", _S, "P2")]),
        ("The {nat} musician {P} studied with {P2}.", [("P", _S, "P2")]),
        ("{P} studied with {P2} and later wrote {W}.", [("P", _S, "P2"), ("W", _C, "P")]),
        ("{P} studied the {I} with {P2}.", [("P", _S, "P2"), ("P", _PL, "I")]),
        ("{P} and {P3} both studied with {P2}.", [("P", _S, "P2"), ("P3", _S, "P2")]),
        ("{P} studied with {P2}, a friend of {X}.", [("P", _S, "P2")]),
        ("{P} studied with the {J} {P2}.", [("P", _S, "P2"), ("P2", _PL, "J")]),
        ("{P2}, who had taught {P}, later worked alongside {X}.", [("P", _S, "P2")]),
        ("{P2} taught {P} the {I}.", [("P", _S, "P2"), ("P", _PL, "I")]),
        ("{P} studied the {I} under {P2}.", [("P", _S, "P2"), ("P", _PL, "I")]),
        ("{P} learned from {P2}.", [("P", _S, "P2")]),
        ("{P} was trained by {P2}.", [("P", _S, "P2")]),
        ("{P} received lessons from {P2}.", [("P", _S, "P2")]),
        ("{P} went to {city} to study with {P2}.", [("P", _S, "P2")]),
        ("{P2}'s best-known pupil was {P}.", [("P", _S, "P2")]),
        ("{P} had private lessons with {P2}.", [("P", _S, "P2")]),
        ("{P} owed the early training to {P2}.", [("P", _S, "P2")]),
    ],
    _INF: [
        ("{P} was influenced by {P2}.", [("P", _INF, "P2")]),
        ("{P2} influenced {P}.", [("P", _INF, "P2")]),
        ("{P2} was a major influence on {P}.", [("P", _INF, "P2")]),
        ("{P} cited {P2} as an influence.", [("P", _INF, "P2")]),
        ("The music of {P} shows the influence of {P2}.", [("P", _INF, "P2")]),
        ("{P} learned a great deal from the music of {P2}.", [("P", _INF, "P2")]),
        ("The music of {P2} shaped {P}.", [("P", _INF, "P2")]),
        ("{P} owed much to {P2}.", [("P", _INF, "P2")]),
        ("{P} named {P2} among the main influences.", [("P", _INF, "P2")]),
        ("Critics hear echoes of {P2} in the music of {P}.", [("P", _INF, "P2")]),
        ("{P2} left a deep mark on {P}.", [("P", _INF, "P2")]),
        ("{P} drew inspiration from {P2}.", [("P", _INF, "P2")]),
        ("{P}'s style grew out of the example of {P2}.", [("P", _INF, "P2")]),
        ("{P} modelled the early style on {P2}.", [("P", _INF, "P2")]),
        ("The influence of {P2} on {P} is easy to hear.", [("P", _INF, "P2")]),
        ("{P}, influenced by {P2}, developed a personal voice.", [("P", _INF, "P2")]),
        ("{P} was inspired by {P2}.", [("P", _INF, "P2")]),
        ("{P} was influenced by {P2} and {P3}.", [("P", _INF, "P2"), ("P", _INF, "P3")]),
        ("{P}, a {G} artist, was influenced by {P2}.", [("P", _INF, "P2"), ("P", _G, "G")]),
        ("{P} was influenced by the {J} {P2}.", [("P", _INF, "P2"), ("P2", _PL, "J")]),
        ("{P} called {P2} the greatest influence.", [("P", _INF, "P2")]),
        ("{P} idolised {P2}.", [("P", _INF, "P2")]),
        ("{P} followed the example of {P2}.", [("P", _INF, "P2")]),
        ("{P} grew up listening to {P2}.", [("P", _INF, "P2")]),
        ("{P2} was the model for the young {P}.", [("P", _INF, "P2")]),
    ],
    _PL: [
        ("{P} played the {I}.", [("P", _PL, "I")]),
        ("{P} is a {I} player.", [("P", _PL, "I")]),
        ("{P} was a {J}.", [("P", _PL, "J")]),
        ("{P} performed on the {I}.", [("P", _PL, "I")]),
        ("The {J} {P} was widely admired.", [("P", _PL, "J")]),
        ("{P} took up the {I} as a child.", [("P", _PL, "I")]),
        ("{P} was known for playing the {I}.", [("P", _PL, "I")]),
        ("{P} also played {I}.", [("P", _PL, "I")]),
        ("{P} made a name as a {J}.", [("P", _PL, "J")]),
        ("On the {I}, {P} developed a distinctive sound.", [("P", _PL, "I")]),
        ("{P}, a gifted {J}, toured widely.", [("P", _PL, "J")]),
        ("{P} was a virtuoso on the {I}.", [("P", _PL, "I")]),
        ("{P} played {I} from an early age.", [("P", _PL, "I")]),
        ("The {nat} {J} {P} is widely recorded.", [("P", _PL, "J")]),
        ("{P}'s instrument was the {I}.", [("P", _PL, "I")]),
        ("{P} is remembered as a {J}.", [("P", _PL, "J")]),
        ("{P} played both the {I} and the {I2}.", [("P", _PL, "I"), ("P", _PL, "I2")]),
        ("{P} was a {G} {J}.", [("P", _PL, "J"), ("P", _G, "G")]),
        ("{P} played {I} in {B}.", [("P", _PL, "I"), ("P", _M, "B")]),
        ("{P}, a {J}, studied with {P2}.", [("P", _PL, "J"), ("P", _S, "P2")]),
        # a player noun belongs to the name it stands next to, not to the subject
        ("{P} often worked with the {J} {P2}.", [("P2", _PL, "J")]),
        ("{P} hired the {J} {P2} for the tour.", [("P2", _PL, "J")]),
        ("{P} and {P3} both admired the {J} {P2}.", [("P2", _PL, "J")]),
        ("{P} married the {J} {P2}.", [("P2", _PL, "J")]),
        ("{P}, whose teacher was the {J} {P2}, played the {I}.",
         [("P", _PL, "I"), ("P", _S, "P2"), ("P2", _PL, "J")]),
    ],
    _M: [
        ("{P} was a member of {B}.", [("P", _M, "B")]),
        ("{P} joined {B}.", [("P", _M, "B")]),
        ("{B} included {P}.", [("P", _M, "B")]),
        ("{P} played in {B}.", [("P", _M, "B")]),
        ("{P} was in {B}.", [("P", _M, "B")]),
        ("{P} of {B} was also a songwriter.", [("P", _M, "B")]),
        ("{P} formed {B}.", [("P", _M, "B")]),
        ("The line-up of {B} featured {P}.", [("P", _M, "B")]),
        ("{P} later left {B}.", [("P", _M, "B")]),
        ("{B} member {P} was widely interviewed.", [("P", _M, "B")]),
        ("{P} sang with {B}.", [("P", _M, "B")]),
        ("{B} was the band of {P}.", [("P", _M, "B")]),
        ("{P} co-founded {B}.", [("P", _M, "B")]),
        ("{P} became famous with {B}.", [("P", _M, "B")]),
        ("{B}, with {P} on {I}, toured constantly.", [("P", _M, "B"), ("P", _PL, "I")]),
        ("{B} was {P} on {I}, {P2} on {I2} and {P3} on {I3}.",
         [("P", _M, "B"), ("P2", _M, "B"), ("P3", _M, "B"), ("P", _PL, "I"), ("P2", _PL, "I2"),
          ("P3", _PL, "I3")]),
        ("In {B}, {P} played {I} and {P2} played {I2}.",
         [("P", _M, "B"), ("P2", _M, "B"), ("P", _PL, "I"), ("P2", _PL, "I2")]),
        # in a line-up each instrument belongs to the name right before it
        ("{P} played {I} in {B}, with {P2} on {I2}.",
         [("P", _M, "B"), ("P2", _M, "B"), ("P", _PL, "I"), ("P2", _PL, "I2")]),
        ("{P} was the {J} of {B}.", [("P", _M, "B"), ("P", _PL, "J")]),
        ("{P}, {B}'s {J}, also wrote songs.", [("P", _M, "B"), ("P", _PL, "J")]),
        ("{P} and {P2} were both members of {B}.", [("P", _M, "B"), ("P2", _M, "B")]),
        ("{B} was formed by {P} and {P2}.", [("P", _M, "B"), ("P2", _M, "B")]),
        ("{P} replaced {P2} in {B}.", [("P", _M, "B"), ("P2", _M, "B")]),
        ("{B}'s {J} {P} also sang.", [("P", _M, "B"), ("P", _PL, "J")]),
        ("{P} founded {B}.", [("P", _M, "B")]),
        ("{P} left {B} to go solo.", [("P", _M, "B")]),
        ("{P} fronted {B}.", [("P", _M, "B")]),
        ("{P} led {B} for years.", [("P", _M, "B")]),
        ("{B} frontman {P} wrote most of the songs.", [("P", _M, "B")]),
        ("{P} was the {J} in {B}.", [("P", _M, "B"), ("P", _PL, "J")]),
        ("{P} toured with {B} as a {J}.", [("P", _M, "B"), ("P", _PL, "J")]),
        ("{P} started out in {B}.", [("P", _M, "B")]),
    ],
    _G: [
        ("{P} was a {G} musician.", [("P", _G, "G")]),
        ("{P} is known for {G}.", [("P", _G, "G")]),
        ("{P} played {G}.", [("P", _G, "G")]),
        ("{P} was one of the leading figures of {G}.", [("P", _G, "G")]),
        ("{P} worked mainly in {G}.", [("P", _G, "G")]),
        ("{P}, a {G} artist, toured widely.", [("P", _G, "G")]),
        ("{P} helped shape {G}.", [("P", _G, "G")]),
        ("{P} is a name every {G} fan knows.", [("P", _G, "G")]),
        ("{P} is usually classed as {G}.", [("P", _G, "G")]),
        ("The {nat} {G} artist {P} is widely recorded.", [("P", _G, "G")]),
        ("{W} is a {G} {form}.", [("W", _G, "G")]),
        ("{W} is a classic of {G}.", [("W", _G, "G")]),
        ("{W} belongs to the {G} repertoire.", [("W", _G, "G")]),
        ("{W} is often counted among the great {G} records.", [("W", _G, "G")]),
        ("Musically, {W} is {G}.", [("W", _G, "G")]),
        ("{W} is in the {G} style.", [("W", _G, "G")]),
        ("{B} was a {G} band.", [("B", _G, "G")]),
        ("{P} moved between {G} and {G2}.", [("P", _G, "G"), ("P", _G, "G2")]),
        ("{P} was a {G} {J}.", [("P", _G, "G"), ("P", _PL, "J")]),
        ("The {G} {J} {P} toured widely.", [("P", _G, "G"), ("P", _PL, "J")]),
        ("{P} made {G} records.", [("P", _G, "G")]),
        ("{P} was a pioneer of {G}.", [("P", _G, "G")]),
        ("{W} is an early {G} record.", [("W", _G, "G")]),
        ("{P}'s {G} {form} {W} is often performed.", [("W", _G, "G"), ("W", _C, "P")]),
        # the genre as the category noun of a work or a group, and a genre's founders
        ("The {G} {W} was first heard in {year}.", [("W", _G, "G")]),
        ("{P}'s {G} {W} is still widely known.", [("W", _G, "G"), ("W", _C, "P")]),
        ("{B} started out as a {G} group.", [("B", _G, "G")]),
        ("{G} was developed by {P}.", [("P", _G, "G")]),
        ("{G} took shape in the playing of {P}.", [("P", _G, "G")]),
    ],
    _X: [
        ("{W} is a famous example of {C}.", [("W", _X, "C")]),
        ("{W} is often used to illustrate {C}.", [("W", _X, "C")]),
        ("{W} shows {C} clearly.", [("W", _X, "C")]),
        ("A good example of {C} is {W}.", [("W", _X, "C")]),
        ("For {C}, listen to {W}.", [("W", _X, "C")]),
        ("{W} is built on {C}.", [("W", _X, "C")]),
        ("{W} uses {C}.", [("W", _X, "C")]),
        ("Teachers point to {W} when explaining {C}.", [("W", _X, "C")]),
        ("{W} demonstrates {C}.", [("W", _X, "C")]),
        ("{C} can be heard in {W}.", [("W", _X, "C")]),
        ("{W} is a textbook case of {C}.", [("W", _X, "C")]),
        ("The classic illustration of {C} is {W}.", [("W", _X, "C")]),
        ("{W} makes heavy use of {C}.", [("W", _X, "C")]),
        ("To hear {C}, try {W}.", [("W", _X, "C")]),
        ("{W} by {P} is a well-known example of {C}.", [("W", _X, "C"), ("W", _C, "P")]),
    ],
}

# Relative and appositive clauses that state a second fact about an entity already in a sentence,
# inserted right after its mention ("..., which Howlin' Wolf recorded in 1960."). Keyed by
# relation and by which end of the fact the mention is: "head" clauses hang on the head entity
# and name the tail as {T}; "tail" clauses hang on the tail and name the head as {H}.
CLAUSES: dict[str, dict[str, list[str]]] = {
    _C: {
        "head": [", which {T} wrote", ", which {T} composed in {year}", ", written by {T}",
                 ", a {form} by {T}", ", composed by {T}"],
        "tail": [", who wrote {H}", ", who composed {H}", ", the composer of {H}"],
    },
    _PF: {
        "head": [", which {T} recorded", ", which {T} recorded in {year}", ", later recorded by {T}",
                 ", which became a hit for {T}", ", which {T} sang", ", released by {T}"],
        "tail": [", who recorded {H}", ", who sang {H}", ", whose recording of {H} is famous"],
    },
    _S: {
        "head": [", who studied with {T}", ", a pupil of {T}", ", who had lessons from {T}",
                 ", a former student of {T}"],
        "tail": [", who taught {H}", ", whose pupils included {H}", ", the teacher of {H}"],
    },
    _INF: {
        "head": [", who was influenced by {T}", ", whose style owes much to {T}"],
        "tail": [", who influenced {H}", ", a major influence on {H}"],
    },
    _PL: {"head": [", who played the {T}", ", a {T_player}", ", who also played {T}"]},
    _M: {
        "head": [", who played in {T}", ", a member of {T}", ", who joined {T}"],
        "tail": [", whose members included {H}", ", which {H} joined", ", with {H} in the line-up"],
    },
    _G: {"head": [", a {T} artist", ", known for {T}"]},
    _X: {
        "head": [", a famous example of {T}", ", which is built on {T}"],
        "tail": [", which can be heard in {H}"],
    },
}

# Sentences with two entities and no relation between them: the hard negatives.
NONE_TEMPLATES: list[str] = [
    "{P} and {P2} are often compared.",
    "Critics have compared {P} with {P2}.",
    "The book discusses {P} and {P2}.",
    "The festival programme listed {P} next to {P2}.",
    "{P} and {P2} were born in different countries.",
    "The radio show played {P} and then {P2}.",
    "{P} wrote several pieces for the {I}.",
    "{P} wrote music for the {I} and orchestra.",
    "{P} owned an old {I}.",
    "The {I} part was written by {P} for a friend.",
    "{P} disliked the sound of the {I}.",
    "{P} heard {W} as a child.",
    "{P} wrote an essay about {W}.",
    "A biography of {P} mentions {W}.",
    "{P} often spoke about {W}.",
    "The concert opened with {W} and closed with a piece by {P}.",
    "{W} and {W2} were played on the same evening.",
    "{W} is sometimes confused with {W2}.",
    "The lesson on {C} comes before the lesson on {W}.",
    "{W} is not usually cited as an example of {C}.",
    "{P} had little interest in {G}.",
    "{P} rarely listened to {G}.",
    "{W} is rarely heard in {G} clubs.",
    "{P} lived in a time when {G} was unknown.",
    "{B} and {P} appeared at the same festival.",
    "{P} saw {B} perform once.",
    "{P} arranged {W} for the {I}.",
    "{W} was played on the {I} at the concert.",
    "{P} studied {C} at school.",
    "{P} asked {P2} for lessons but was turned away.",
    "{P} met {P2} in {city}.",
    "{P} was a close friend of {P2}.",
    "{P} was the son of {P2}.",
    "{P} dedicated a book to {P2}.",
    "{P} heard {G} for the first time in {city}.",
    "{W} was played at a {G} festival.",
    "{P} produced {W}.",
    "{P} conducted the premiere of {W}.",
    "{W} was dedicated to {P}.",
    "{P} commissioned {W}.",
    "{P} praised the {I} playing on {W}.",
    "The {E} produced {P}.",
]

# Adjuncts that add places, institutions and dates around a statement without adding a fact:
# capitalised words that are not entities, so the tagger learns to leave them alone.
PREFIXES = (
    "In {year2}, ", "In {city}, ", "While living in {city}, ", "Years later, ", "In the {decade}, ",
    "During a stay in {city}, ", "As a young musician in {city}, ", "After moving to {city}, ",
)
SUFFIXES = (
    " in {city}", " in {year2}", " at the {institution}", " while in {city}",
    " during the {decade}", " at the {institution} in {city}", " before moving to {city}",
    ", according to the {institution}", " in the {decade}",
)
# Asides inserted between the two entities of a statement, so that distance alone never decides.
MIDDLES = (
    " in {city}", " in {year2}", ", in {year2},", " at the {institution}", " for several years",
    " as a teenager", " at home", " privately", " briefly", " during the {decade}",
    ", according to most accounts,", " in the {decade}", " while in {city}", " at first",
    ", as many histories note,", " later",
)
CITIES = (
    "Vienna", "Paris", "London", "Leipzig", "Berlin", "New York", "Chicago", "New Orleans",
    "Memphis", "Nashville", "Detroit", "Los Angeles", "Rome", "Milan", "Naples", "Venice",
    "Prague", "Budapest", "Moscow", "St Petersburg", "Warsaw", "Salzburg", "Hamburg", "Dresden",
    "Lisbon", "Madrid", "Seville", "Buenos Aires", "Rio de Janeiro", "Havana", "Kingston",
    "Lagos", "Dakar", "Bamako", "Mumbai", "Kolkata", "Tokyo", "Liverpool", "Manchester",
    "Dublin", "Stockholm", "Helsinki", "Oslo", "Copenhagen", "Boston", "Philadelphia",
    "San Francisco", "Seattle", "Toronto", "Montreal", "Sydney", "Johannesburg", "Cairo",
)
INSTITUTIONS = (
    "Vienna Conservatory", "Paris Conservatoire", "Royal Academy of Music", "Royal College of Music",
    "Juilliard School", "Berklee College of Music", "Moscow Conservatory", "Leipzig Conservatory",
    "Curtis Institute", "Eastman School of Music", "Yale School of Music", "Harvard University",
    "Sorbonne", "Sun Studio", "Abbey Road Studios", "Village Vanguard", "Cotton Club",
    "Carnegie Hall", "Royal Albert Hall", "Apollo Theater", "Newport Jazz Festival",
    "Monterey Jazz Festival", "Bayreuth Festival", "Salzburg Festival", "BBC", "Smithsonian",
    "Library of Congress", "Grand Ole Opry", "Motown studio", "Blue Note office",
)

# Names of places, and words that make a name an institution or an event: none of them is one of
# the six entity types, so a tagger span made only of them is dropped.
PLACES = frozenset(
    {c.lower() for c in CITIES} | {
        "europe", "africa", "asia", "america", "north america", "south america", "latin america",
        "australia", "england", "britain", "great britain", "scotland", "ireland", "wales",
        "france", "germany", "austria", "italy", "spain", "portugal", "russia", "poland",
        "hungary", "bohemia", "czech republic", "norway", "sweden", "finland", "denmark",
        "netherlands", "belgium", "switzerland", "greece", "turkey", "egypt", "india", "china",
        "japan", "korea", "brazil", "argentina", "cuba", "jamaica", "mexico", "canada",
        "united states", "usa", "nigeria", "senegal", "mali", "ghana", "south africa",
        "harlem", "bronx", "brooklyn", "manhattan", "queens", "hollywood", "texas", "mississippi",
        "louisiana", "tennessee", "california", "georgia", "virginia", "ohio", "illinois",
        "new jersey", "kiev", "kyiv", "athens", "modena", "mantua", "lubeck", "bonn", "halle",
        "eisenach", "weimar", "leningrad", "petrograd", "majorca", "fontainebleau", "montreux",
        "zanzibar", "vatican", "sistine chapel", "chelsea", "soho", "delta",
    }
)
INSTITUTION_WORDS = frozenset(
    [
        "college", "conservatory", "conservatoire", "school", "university", "institute",
        "academy", "festival", "hall", "studio", "studios", "church", "cathedral", "chapel",
        "abbey", "theatre", "theater", "club", "museum", "competition", "prize", "award",
        "records", "foundation", "society", "hotel", "hospital", "avenue", "street", "boulevard",
        "palace", "entertainment",
    ]
)

# Openers that may start any sentence (the template's first letter is lowered after them).
OPENERS = (
    "Today, ", "As is well known, ", "According to most accounts, ", "Notably, ", "In fact, ",
    "Historically, ", "By most accounts, ", "Put simply, ", "As a rule, ", "Interestingly, ",
)

# Made-up titles of classical works for unseen-title augmentation: "Cello Sonata No. 2 in F minor".
WORK_FORMS = (
    "Symphony", "Concerto", "Sonata", "String Quartet", "Suite", "Mass", "Requiem", "Nocturne",
    "Prelude", "Étude", "Fantasia", "Serenade", "Overture", "Rhapsody", "Ballade", "Partita",
    "Trio", "Quintet", "Toccata", "Variations",
)
WORK_INSTRUMENTS = ("Piano", "Violin", "Cello", "Flute", "Clarinet", "Horn", "Organ", "Guitar")
ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth")
KEYS = ("C major", "G minor", "D major", "A minor", "E-flat major", "F minor", "B-flat major",
        "C-sharp minor", "F major", "E minor")
SONG_WORDS = [
    "Blue", "Midnight", "River", "Heart", "Rain", "Summer", "Train", "Moon", "Highway", "Fire",
    "Dream", "Love", "Road", "Home", "Night", "Morning", "Angel", "Stone", "Shadow", "Dance",
    "City", "Rose", "Ocean", "Sky", "Golden", "Lonely", "Sweet", "Wild", "Silver"
]

# Recombined names for unseen-name augmentation (never facts: only training sentences use them).
FIRST_NAMES = [
    "Anna", "Amir", "Beatriz", "Carlos", "Chen", "Dmitri", "Elena", "Farid", "Grace", "Hana",
    "Ingrid", "Jamal", "Kenji", "Lena", "Luis", "Marta", "Nadia", "Oskar", "Priya", "Rafael",
    "Sofia", "Tomas", "Umar", "Vera", "Wen", "Yusuf", "Zora", "Clara", "Henri", "Aleksander",
    "Marguerite", "Emil", "Ruth", "Samuel", "Teresa", "Viktor", "Ada", "Benedikt", "Celia",
    "Dorothea", "Ignacio", "Julius", "Kofi", "Leontyne", "Mateo", "Noor", "Olga", "Pedro", "Rosa",
    "Sergei", "Tadeusz", "Ulla", "Wanda", "Xavier", "Yara"
]
SURNAMES = [
    "Abara", "Becker", "Castillo", "Dvorakova", "Eriksen", "Fontaine", "Garrido", "Halvorsen",
    "Ibarra", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quintero", "Rasmussen", "Sandoval", "Takahashi", "Ueda", "Vasquez", "Whitfield", "Yamada",
    "Zelenka", "Albrecht", "Brandt", "Costa", "Delacroix", "Esposito", "Fischer", "Guerrero",
    "Hoffmann", "Ivanova", "Jaramillo", "Kessler", "Lombardi", "Marchetti", "Novak", "Oliveira",
    "Pereira", "Rinaldi", "Schulz", "Tanaka", "Varga", "Weber", "Mensah", "Adeyemi", "Haddad",
    "Kaur"
]

# Made-up band names for unseen-name augmentation: "the Paper Foxes", "Anna Becker Quartet",
# "Nadia Okafor and the Night Riders", "Velvet Harbour", "K.V.R". Groups in real text are named
# in many more ways than the graph's few bands show, and the tagger must find them by the shape
# of the name and the words around it.
BAND_ADJECTIVES = (
    "Silver", "Velvet", "Electric", "Crimson", "Paper", "Wild", "Broken", "Golden", "Midnight",
    "Rolling", "Stone", "Iron", "Blue", "Black", "Young", "Lonesome", "Flying", "Mystic",
    "Holy", "Northern", "Southern", "Burning", "Sonic", "Cosmic", "Little", "Big", "Hollow",
)
BAND_NOUNS = (
    "Foxes", "Riders", "Drifters", "Ramblers", "Kings", "Sparrows", "Wolves", "Saints", "Echoes",
    "Lanterns", "Rebels", "Shadows", "Strangers", "Pilots", "Tigers", "Hornets", "Dreamers",
    "Outlaws", "Monks", "Playboys", "Crickets", "Travellers", "Brothers", "Sisters", "Hawks",
    "Mirrors", "Orchids", "Vandals", "Jets", "Comets", "Believers", "Harbour", "Machine",
)
ENSEMBLE_WORDS = (
    "Quartet", "Quintet", "Trio", "Sextet", "Septet", "Orchestra", "Big Band", "Band",
    "Ensemble", "All Stars", "Group", "Experience", "Project", "Collective", "Combo",
)
SYLLABLES = ("ka", "lo", "ve", "ri", "zan", "mo", "tu", "sel", "da", "ni", "or", "bex", "qua",
             "fen", "ti", "ra", "gol", "mi", "sha", "dru")

# Words of made-up song and album titles: "Walking Through the Rain", "Don't Wake the River".
TITLE_NOUNS = (
    "Rain", "River", "Heart", "Train", "Moon", "Highway", "Fire", "Dream", "Road", "Home",
    "Night", "Morning", "Angel", "Stone", "Shadow", "City", "Rose", "Ocean", "Sky", "Window",
    "Garden", "Letter", "Mountain", "Sugar", "Thunder", "Mirror", "Harbour", "Bridge", "Diamond",
    "Wind", "Street", "Country", "Island", "Circus", "Dance", "Summer", "Winter", "Lady", "Baby",
    "Soul", "Money", "Paradise", "Freedom", "Kingdom", "Wheel", "Door", "Song", "Blues",
)
TITLE_ADJECTIVES = (
    "Blue", "Lonely", "Sweet", "Wild", "Silver", "Golden", "Broken", "Crazy", "Little", "Empty",
    "Strange", "Endless", "Electric", "Quiet", "Lazy", "Dark", "Purple", "Funky", "Holy",
)
TITLE_VERBS = (  # (-ing form, base form)
    ("Walking", "Walk"), ("Running", "Run"), ("Dancing", "Dance"), ("Waiting", "Wait"),
    ("Dreaming", "Dream"), ("Crying", "Cry"), ("Falling", "Fall"), ("Driving", "Drive"),
    ("Talking", "Talk"), ("Living", "Live"), ("Rolling", "Roll"), ("Flying", "Fly"),
    ("Praying", "Pray"), ("Sailing", "Sail"), ("Leaving", "Leave"), ("Calling", "Call"),
)
TITLE_PATTERNS = (
    "{A} {N}", "{N}", "{A} {N}", "{V} in the {N}", "{V} Through the {N}", "Don't {v} the {N}",
    "My {A} {N}", "{N} of {N}s", "The {N} Song", "{N} Blues", "Take Me to the {N}",
    "{V} on a {A} {N}", "I Can't {v} Without You", "{A} {N} Boogie", "Ain't No {N}", "{N} and {N}",
    "Goodbye {A} {N}", "Where the {N} Ends", "{V}", "{N}, {N}",
)
