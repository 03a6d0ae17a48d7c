"""Secure messages between a person and their care team: the rules a message must meet."""

from __future__ import annotations

from taperline.domain.errors import InvalidInput

MAX_SUBJECT = 200
MAX_BODY = 4000  # characters; a long letter, not a document
MAX_THREADS_LISTED = 200
MAX_MESSAGES_SHOWN = 500


def check_subject(subject: str) -> str:
    cleaned = " ".join(subject.replace("\x00", " ").split())
    if not cleaned:
        raise InvalidInput("subject", "give the conversation a short subject")
    if len(cleaned) > MAX_SUBJECT:
        raise InvalidInput(
            "subject", f"is {len(cleaned)} characters long; keep it to {MAX_SUBJECT} or fewer"
        )
    return cleaned


def check_body(body: str) -> str:
    cleaned = body.replace("\r\n", "\n").strip()
    if not cleaned:
        raise InvalidInput("body", "the message is empty; write something to send")
    if len(cleaned) > MAX_BODY:
        raise InvalidInput(
            "body",
            f"is {len(cleaned)} characters long; messages can be up to {MAX_BODY} characters. "
            "Split it into two messages, or shorten it. Nothing was sent",
        )
    if "\x00" in cleaned:
        raise InvalidInput("body", "contains a null character, which cannot be stored")
    return cleaned
