"""Secure messages on the real database: threads between a person and their care team, read
receipts, unread counts, size limits, access as the health record (never supporters), urgent
words raising the same urgent alert as a check-in, every read and send audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.db.models import Alert, AuditEvent, Job, Message, Notification
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.messages import MAX_BODY
from taperline.services import messages, supporting
from taperline.services.authz import AccessDenied
from tests.actors import cast
from tests.factories import actor_for
from tests.services.test_circle import _invite, _join


def test_a_person_and_their_clinician_write_and_see_read_receipts(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    pat, cleo = actor_for(people.pat), actor_for(people.cleo)
    sent = messages.start_thread(
        session, clock, pat, "pat", "Sleep this week", "I slept badly on Tuesday. Is that normal?"
    )
    assert sent.findings == () and sent.steps is None
    [note] = session.scalars(select(Notification).where(Notification.user_id == people.cleo.id))
    assert note.kind == "message" and note.link == f"/messages/{sent.thread_id}"
    assert not note.urgent
    # Uma does not care for Pat: she is not told.
    uma_notes = select(func.count()).where(Notification.user_id == people.uma.id)
    assert session.scalar(uma_notes) == 0

    [summary] = messages.threads(session, clock, cleo, "pat")
    assert (summary.subject, summary.messages, summary.unread) == ("Sleep this week", 1, 1)
    assert messages.unread_for(session, people.cleo.id, [people.pat.id]) == {people.pat.id: 1}

    # Before Cleo opens it, Pat sees no receipt.
    view = messages.open_thread(session, clock, pat, sent.thread_id)
    assert view.messages[0].mine and view.messages[0].read_by == ()

    clock.advance(dt.timedelta(minutes=5))
    view = messages.open_thread(session, clock, cleo, sent.thread_id)
    assert [m.body for m in view.messages] == ["I slept badly on Tuesday. Is that normal?"]
    assert messages.threads(session, clock, cleo, "pat")[0].unread == 0
    assert messages.unread_for(session, people.cleo.id, [people.pat.id]) == {}

    view = messages.open_thread(session, clock, pat, sent.thread_id)
    [(reader, when)] = view.messages[0].read_by
    assert reader == people.cleo.display_name and when == clock.now()

    clock.advance(dt.timedelta(minutes=5))
    messages.reply(session, clock, cleo, sent.thread_id, "Yes, it often is. Let's talk Friday.")
    assert messages.threads(session, clock, pat, "pat")[0].unread == 1
    person_note = session.scalars(
        select(Notification).where(Notification.user_id == people.pat.id)
    ).one()
    assert "Cleo" in person_note.title or people.cleo.display_name in person_note.title
    view = messages.open_thread(session, clock, cleo, sent.thread_id)
    assert [m.mine for m in view.messages] == [False, True]
    assert view.messages[1].read_by == ()  # Pat has not opened the reply yet

    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"message.send", "message.read", "message.list"} <= actions


def test_urgent_words_raise_the_red_flag_alert_and_give_crisis_steps(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    people.cleo.email = "cleo@example.org"
    pat = actor_for(people.pat)
    sent = messages.start_thread(
        session, clock, pat, "pat", "Hard night", "Honestly I feel like I'd be better off dead."
    )
    assert [f.rule_id for f in sent.findings] == ["red_flag.suicidal_thoughts"]
    assert sent.steps is not None and sent.steps.contacts.crisis_line == "988"
    assert "988" in sent.findings[0].person_message
    alert = session.scalars(select(Alert)).one()
    assert (alert.rule_id, alert.severity, alert.status) == (
        "red_flag.suicidal_thoughts",
        "urgent",
        "open",
    )
    assert "better off dead" in alert.clinician_message
    message = session.get(Message, sent.message_id)
    assert message is not None and message.alert_id == alert.id
    [note] = session.scalars(select(Notification).where(Notification.user_id == people.cleo.id))
    assert note.urgent and note.title.startswith("Urgent message")
    email = session.scalars(select(Job).where(Job.kind == "email")).one()
    assert email.run_at == clock.now()

    # The same words again that day: one alert, the message still marked urgent.
    again = messages.reply(session, clock, pat, sent.thread_id, "I keep thinking about suicide.")
    assert again.findings and session.scalar(select(func.count(Alert.id))) == 1
    second = session.get(Message, again.message_id)
    assert second is not None and second.alert_id == alert.id
    view = messages.open_thread(session, clock, actor_for(people.cleo), sent.thread_id)
    assert all(m.urgent for m in view.messages)


def test_overdose_words_raise_the_overdose_alert(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    sent = messages.start_thread(
        session,
        clock,
        actor_for(people.pat),
        "pat",
        "Last night",
        "My friend's lips turned BLUE and we gave Narcan. He's OK now.",
    )
    assert [f.rule_id for f in sent.findings] == ["red_flag.overdose_signs"]
    assert set(sent.findings[0].involved) == {"lips turned blue", "turned blue", "gave narcan"}


def test_a_clinicians_words_raise_nothing(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    sent = messages.start_thread(
        session,
        clock,
        actor_for(people.cleo),
        "pat",
        "Safety plan",
        "If you ever have thoughts of suicide, call 988 straight away.",
    )
    assert sent.findings == () and session.scalar(select(func.count(Alert.id))) == 0


def test_bad_messages_are_refused_and_nothing_is_stored(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    pat = actor_for(people.pat)
    sent = messages.start_thread(session, clock, pat, "pat", "Hello", "First message")
    with pytest.raises(InvalidInput, match="body: is 4001 characters long") as too_long:
        messages.reply(session, clock, pat, sent.thread_id, "x" * (MAX_BODY + 1))
    assert too_long.value.field == "body"
    with pytest.raises(InvalidInput, match="body: the message is empty"):
        messages.reply(session, clock, pat, sent.thread_id, "   \n ")
    with pytest.raises(InvalidInput, match="subject"):
        messages.start_thread(session, clock, pat, "pat", " ", "body")
    with pytest.raises(InvalidInput, match="subject: is 201"):
        messages.start_thread(session, clock, pat, "pat", "s" * 201, "body")
    with pytest.raises(NotFound, match="thread: there is no conversation 999"):
        messages.open_thread(session, clock, pat, 999)
    assert session.scalar(select(func.count(Message.id))) == 1
    messages.reply(session, clock, pat, sent.thread_id, "x" * MAX_BODY)  # the limit itself is fine


@pytest.mark.parametrize("who", ["uma", "olga", "quinn", "ada"])
def test_only_the_person_and_their_clinicians_read_or_write(
    session: Session, clock: FixedClock, who: str
) -> None:
    people = cast(session, clock)
    sent = messages.start_thread(session, clock, actor_for(people.pat), "pat", "Hi", "Private")
    other = actor_for(getattr(people, who))
    with pytest.raises(AccessDenied):
        messages.threads(session, clock, other, "pat")
    with pytest.raises(AccessDenied):
        messages.start_thread(session, clock, other, "pat", "Hi", "I am not allowed")
    with pytest.raises(NotFound):
        messages.open_thread(session, clock, other, sent.thread_id)
    with pytest.raises(NotFound):
        messages.reply(session, clock, other, sent.thread_id, "nor this")
    assert session.scalar(select(func.count(Message.id))) == 1
    denied = select(func.count()).where(AuditEvent.outcome == "denied")
    assert (session.scalar(denied) or 0) >= 2


def test_a_supporter_never_reads_messages(session: Session, clock: FixedClock) -> None:
    people = cast(session, clock)
    token = _invite(session, clock, people, "mum@example.org", checkins=True, alerts=True)
    mum = _join(session, clock, token)
    sent = messages.start_thread(session, clock, actor_for(people.pat), "pat", "Hi", "Private")
    assert supporting.supporting(session, clock, actor_for(mum))  # she does support Pat
    with pytest.raises(AccessDenied):
        messages.threads(session, clock, actor_for(mum), "pat")
    with pytest.raises(NotFound):
        messages.open_thread(session, clock, actor_for(mum), sent.thread_id)
