"""Voice notes kept as sent: the archive checks the bytes are a known kind of audio (by its first
bytes, nothing is decoded), keeps the original file, and never converts it."""

from __future__ import annotations

from bot.imaging import Processed, Refused

__all__ = ["MAX_VOICE_BYTES", "duration", "process_voice", "sniff"]

# A voice note of half an hour is a few megabytes in Opus or AAC; anything larger is no note.
MAX_VOICE_BYTES = 10 * 1024 * 1024


def sniff(data: bytes) -> str | None:
    """The file extension of a known audio format, from its first bytes; None otherwise."""
    head = data[:16]
    if head.startswith(b"OggS"):
        return "ogg"  # Telegram voice notes: Opus in Ogg
    if head.startswith(b"#!AMR"):
        return "amr"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return "aac"  # ADTS: Zalo's voice notes
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


def process_voice(data: bytes) -> Processed:
    """The archive's copy of a voice note: the file itself; refused if it is no audio."""
    if len(data) > MAX_VOICE_BYTES:
        raise Refused("too_large")
    kind = sniff(data)
    if kind is None:
        raise Refused("not_audio")
    return Processed({f"voice.{kind}": data}, 0, 0)


def duration(seconds: int | None) -> str:
    """A note's length as m:ss ('' when the channel did not say)."""
    if not seconds or seconds < 0:
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"
