"""Practice with the tutor: it sets a target and plays it, the learner sends a recording, and the
tutor answers note by note; the result counts towards mastery and is logged."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import anyio
import numpy as np
import pytest

import actions.services
from bot.messages import UserMessage
from bot.recordings import save_recording
from music.practice import encode_audio
from tests.bot.takes import SCALE, played
from tests.bot.tutor import Chat, ScriptedNLU


def send_recording(chat: Chat, audio: bytes, content_type: str = "audio/ogg") -> list[dict]:
    """What a channel does with a recording: keep it, then tell the tutor its name."""
    services = actions.services.services()
    name = save_recording(audio, services.media_dir.parent / "recordings", content_type)
    message = UserMessage(chat.sender, "/practice_feedback", channel="web", metadata={"recording": name})
    return asyncio.run(chat.engine.handle(message))


@pytest.fixture
def practising(chat: Chat, nlu: ScriptedNLU) -> dict:
    """The learner asked to practise the major scale: the tutor's reply."""
    nlu.says("what is a major scale?", "explain_concept", ("concept", "major scale"))
    nlu.says("can you listen to me play it?", "practice_feedback")
    chat("what is a major scale?")
    [reply] = chat("can you listen to me play it?")
    return reply


def test_asking_to_practise_sets_a_target_from_the_concept_and_plays_it(chat: Chat, practising: dict) -> None:
    assert "Let's practise major scale" in practising["text"]
    assert "C4 D4 E4 F4 G4 A4 B4 C5" in practising["text"] and "beats per minute" in practising["text"]
    assert practising["attachment"]["type"] == "audio"
    assert practising["custom"]["practice_target"]["target"] == SCALE
    assert chat.slots["practice"]["concept"] == "concept:major_scale"


def test_a_clean_recording_is_praised_and_counts_towards_mastery(chat: Chat, practising: dict) -> None:
    bpm = chat.slots["practice"]["bpm"]
    [reply] = send_recording(chat, played(SCALE, bpm))
    verdicts = reply["custom"]["practice"]["notes"]
    assert [v["verdict"] for v in verdicts] == ["ok"] * 8
    assert reply["custom"]["practice"]["score"] == 1.0
    record = chat.slots["progress"]["concept:major_scale"]
    assert record["correct"] == 1 and record["p"] > 0.15
    assert chat.slots["last_outcome"]["kind"] == "practice_result"


def test_a_wrong_note_is_named_and_counts_against(chat: Chat, practising: dict) -> None:
    bpm = chat.slots["practice"]["bpm"]
    [reply] = send_recording(chat, played(SCALE, bpm, wrong={5: 1}), "audio/webm")  # A4 played as A♯4
    verdicts = reply["custom"]["practice"]["notes"]
    assert verdicts[5]["verdict"] == "wrong_note" and verdicts[5]["expected"] == "A4"
    assert all(v["verdict"] == "ok" for i, v in enumerate(verdicts) if i != 5)
    assert "A4" in reply["text"]


def test_silence_gets_a_clear_reply_and_no_evidence(chat: Chat, practising: dict) -> None:
    quiet = encode_audio(np.zeros(22_050 * 2, dtype=np.float32), 22_050, "wav")
    [reply] = send_recording(chat, quiet, "audio/wav")
    assert "couldn't hear anything" in reply["text"] and "Record yourself" in reply["text"]
    assert "concept:major_scale" not in (chat.slots["progress"] or {})


def test_a_file_that_is_not_audio_gets_a_clear_reply(chat: Chat, practising: dict) -> None:
    [reply] = send_recording(chat, b"%PDF-1.7 definitely not a recording", "application/pdf")
    assert "audio" in reply["text"].lower()
    assert "custom" not in reply or "practice" not in reply.get("custom", {})


def test_without_a_target_a_recording_is_compared_with_c_major(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("hi", "greet")
    chat("hi")
    replies = send_recording(chat, played(SCALE, 60))  # a beginner's tempo
    assert "C major scale" in replies[0]["text"]
    assert [v["verdict"] for v in replies[-1]["custom"]["practice"]["notes"]] == ["ok"] * 8


def test_a_bad_recording_name_never_reads_outside_the_folder(chat: Chat, nlu: ScriptedNLU) -> None:
    nlu.says("hi", "greet")
    chat("hi")
    message = UserMessage(chat.sender, "/practice_feedback", metadata={"recording": "../../etc/passwd"})
    [reply] = asyncio.run(chat.engine.handle(message))
    assert "couldn't find that recording" in reply["text"]


def test_a_voice_note_on_telegram_gets_feedback_note_by_note(nlu: ScriptedNLU, tutor_home: Path) -> None:
    """The whole way: Telegram update -> file download -> engine -> analysis -> replies sent."""
    from bot.channels.telegram import TelegramChannel
    from tests.bot.fake_telegram import TOKEN, FakeTelegram
    from tests.bot.tutor import make_engine

    nlu.says("what is a major scale?", "explain_concept", ("concept", "major scale"))
    nlu.says("can you listen to me play it?", "practice_feedback")
    engine = make_engine(nlu)

    async def conversation(fake: FakeTelegram) -> list[str]:
        channel = TelegramChannel(engine.handle, TOKEN, media_dir=tutor_home / "media",
                                  recordings_dir=tutor_home / "recordings", base_url=fake.base_url,
                                  base_file_url=fake.base_file_url)
        await channel.start_polling(timeout=1)
        try:
            async def said(update: dict, replies: int) -> None:
                before = len(fake.sent())
                fake.queue_update(update)
                def arrived(f: FakeTelegram) -> bool:
                    return len(f.sent()) >= before + replies

                await anyio.to_thread.run_sync(lambda: fake.wait_for(arrived, timeout=60))

            await said(fake.text_update("what is a major scale?", chat_id=9), 2)  # text, then audio
            await said(fake.text_update("can you listen to me play it?", chat_id=9), 2)  # text, then audio
            target = fake.calls_of("sendMessage")[-1].params["text"]
            bpm = int(re.search(r"at (\d+) beats per minute", target).group(1))
            await said(fake.voice_update(played(SCALE, bpm, wrong={5: 1}), chat_id=9), 2)  # feedback, notes
        finally:
            await channel.stop()
        return [c.params["text"] for c in fake.calls_of("sendMessage")]

    with FakeTelegram() as fake:
        texts = anyio.run(conversation, fake)
    feedback, notes = texts[-2:]
    assert "you played A♯4 instead of A4 on note 6" in feedback
    assert notes.startswith("C4 ✓ D4 ✓ E4 ✓ F4 ✓ G4 ✓ A4 ✗ (A♯4) B4 ✓ C5 ✓")
    record = engine.trackers["tg:9"].slots["progress"]["concept:major_scale"]
    assert record["correct"] == 1 and record["p"] < 0.9  # 7 of 8 notes right: good, not yet mastery
