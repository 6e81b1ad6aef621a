"""The feed against the emulator over real TCP: order, the on-disk queue while the video
system is away, replay exactly once after a hang-up, the backlog alert once per episode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import anyio
import pytest
from kassa.errors import RetryLater
from kassa.hookspecs.devices import VideoSink
from kassa.model import (
    DeviceStatus,
    Event,
    EventKinds,
    Health,
    PosEvent,
    PosEventKind,
    PosEventLine,
    Site,
)
from kassa.notify_default import render_event
from kassa_video.encoders import encode
from kassa_video.feed import VideoFeed
from kassa_video.kinds import BACKLOG, CAUGHT_UP, KINDS
from kassa_video.sim import VideoSimulator

from .conftest import settings_for, wait_for

pytestmark = pytest.mark.anyio
K = PosEventKind
T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def receipt(n: int, lines: int = 3, terminal: str = "cas_1") -> list[PosEvent]:
    at = T0 + timedelta(minutes=n)
    rid = f"R{n}"
    out = [PosEvent(kind=K.RECEIPT_OPEN, at=at, terminal_id=terminal, receipt_id=rid)]
    out += [PosEvent(kind=K.LINE_ADD, at=at, terminal_id=terminal, receipt_id=rid,
                     line=PosEventLine(position=i + 1, name=f"Позиция {i + 1}",
                                       quantity=Decimal(1), price=100, amount=100))
            for i in range(lines)]
    out += [PosEvent(kind=K.PAYMENT, at=at, terminal_id=terminal, receipt_id=rid,
                     total=100 * lines, payment_type="cash"),
            PosEvent(kind=K.RECEIPT_CLOSE, at=at, terminal_id=terminal, receipt_id=rid,
                     total=100 * lines)]
    return out


def stream(receipts: int) -> list[PosEvent]:
    return [e for n in range(receipts) for e in receipt(n)]


async def feed_all(feed: VideoFeed, events: list[PosEvent], prefix: str = "k") -> None:
    for i, e in enumerate(events):
        await feed.send(e, key=f"{prefix}{i}")


def exactly(sim: VideoSimulator, name: str, events: list[PosEvent], feed: VideoFeed) -> None:
    """Every event arrived once, in order, byte for byte, and the order check is clean."""
    r = sim[name]
    assert [x.raw for x in r.records] == [encode(e, feed.settings).strip() for e in events]
    assert r.duplicates() == [] and r.flags == []


async def test_events_arrive_in_order_on_each_protocol(sim: VideoSimulator,
                                                       tmp_path: Path) -> None:
    events = stream(3)
    for name in ("dssl", "axxon", "text"):
        f = VideoFeed(settings_for(sim, name), data_dir=tmp_path)
        assert isinstance(f, VideoSink)
        await f.start()
        try:
            await feed_all(f, events)
            await wait_for(lambda: len(sim[name].records) == len(events))  # noqa: B023
            assert sim[name].kinds() == [str(e.kind) for e in events]
            if name == "text":  # the line itself, without its CR LF
                assert [x.raw for x in sim[name].records] == [
                    encode(e, f.settings)[:-2] for e in events]
            else:
                exactly(sim, name, events, f)
            await wait_for(lambda: f.backlog == 0)  # noqa: B023
            st = f.status()
            assert isinstance(st, DeviceStatus) and st.health is Health.OK
            assert st.detail["written"] == len(events) and st.detail["backlog"] == 0
        finally:
            await f.stop()


async def test_hang_up_mid_stream_replays_in_order_none_lost_none_doubled(
        sim: VideoSimulator, feed: VideoFeed) -> None:
    far = sim["dssl"]
    events = stream(40)  # 240 events
    await wait_for(lambda: feed.connected)
    far.drop_after = 37  # the receiver shuts the link down after 37 events
    await feed_all(feed, events)
    await wait_for(lambda: len(far.records) == len(events))
    exactly(sim, "dssl", events, feed)
    assert far.connections >= 2 and feed.connections == far.connections


async def test_away_queues_on_disk_and_replays_when_back(sim: VideoSimulator,
                                                         feed: VideoFeed) -> None:
    far = sim["dssl"]
    events = stream(10)
    await feed_all(feed, events[:20])
    await wait_for(lambda: len(far.records) == 20)
    await far.pause()  # the video server is off: connections refused
    await wait_for(lambda: not feed.connected)
    await feed_all(feed, events[20:], prefix="later")
    st = feed.status()
    assert st.health is Health.DEGRADED and st.detail["backlog"] == len(events) - 20
    assert "копятся на диске" in (st.message or "")
    assert len(far.records) == 20
    await far.resume()
    await wait_for(lambda: len(far.records) == len(events))
    exactly(sim, "dssl", events, feed)
    await wait_for(lambda: feed.status().health is Health.OK)


async def test_a_restarted_feed_replays_its_disk_backlog(sim: VideoSimulator,
                                                         tmp_path: Path) -> None:
    far = sim["axxon"]
    await far.pause()
    first = VideoFeed(settings_for(sim, "axxon"), data_dir=tmp_path)
    await first.start()
    events = stream(5)
    await feed_all(first, events)
    await first.stop()  # the hub stops with 30 events on disk
    again = VideoFeed(settings_for(sim, "axxon"), data_dir=tmp_path)
    await again.start()
    try:
        assert again.status().detail["backlog"] == len(events)
        await far.resume()
        await wait_for(lambda: len(far.records) == len(events))
        exactly(sim, "axxon", events, again)
        await wait_for(lambda: again.backlog == 0)
        assert again.status().detail["written_total"] == len(events)
    finally:
        await again.stop()


async def test_a_crashing_receiver_loses_at_most_the_tail_in_flight(
        sim: VideoSimulator, feed: VideoFeed) -> None:
    """RST (a crash) throws away bytes the receiver had not read: no protocol here has an
    acknowledgement, so what was in flight is gone. What arrives is still in order, never
    doubled, and the feed goes on (docs/plugins/video.md, "Delivery")."""
    far = sim["dssl"]
    events = stream(30)
    await wait_for(lambda: feed.connected)
    await feed_all(feed, events[:60])
    await far.hang_up(abort=True)
    await feed_all(feed, events[60:], prefix="after")
    await wait_for(lambda: feed.backlog == 0 and feed.connections >= 2)
    await wait_for(lambda: far.records and far.records[-1].raw
                   == encode(events[-1], feed.settings).strip())
    wanted = [encode(e, feed.settings).strip() for e in events]
    got = [r.raw for r in far.records]
    assert far.duplicates() == []
    it = iter(wanted)
    assert all(g in it for g in got)  # a subsequence: in order


async def test_backlog_alert_once_per_episode(sim: VideoSimulator, tmp_path: Path) -> None:
    far = sim["text"]
    clock = {"now": T0}
    alerts: list[Event] = []

    async def emit(event: Event) -> bool:
        alerts.append(event)
        return True

    f = VideoFeed(settings_for(sim, "text", backlog_minutes=5), data_dir=tmp_path, emit=emit,
                  now=lambda: clock["now"])
    await far.pause()
    await f.start()
    try:
        await wait_for(lambda: f.last_error is not None)  # refused: the server is off
        await feed_all(f, stream(2))
        clock["now"] = T0 + timedelta(minutes=4)
        await anyio.sleep(0.5)  # reconnect attempts (each checks the backlog) go on
        assert alerts == []
        clock["now"] = T0 + timedelta(minutes=6)
        await wait_for(lambda: len(alerts) == 1)
        clock["now"] = T0 + timedelta(minutes=60)
        n = f.connections
        await far.resume()
        await wait_for(lambda: len(alerts) == 2)
        assert [a.kind for a in alerts] == [BACKLOG, CAUGHT_UP] and f.connections == n + 1
        assert n == 0
        assert alerts[0].data["backlog"] == 12 and "6 мин" in (alerts[0].text or "")
        assert alerts[0].source_key == alerts[1].source_key.replace(CAUGHT_UP, BACKLOG)
        kinds, site = EventKinds(KINDS), Site(code="s1", name="Невский")
        assert render_event(alerts[0], "ru", site, kinds).splitlines()[1] == (
            "📹 Видеосистема «text» не получает события 6 мин. (в очереди 12); они хранятся"
            " на диске и уйдут по порядку.")
        assert render_event(alerts[1], "en", site, kinds).splitlines()[1] == (
            "📹 Video system 'text' has received every queued event.")
        st = f.status()
        assert st.health is Health.OK and st.detail["backlog"] == 0
    finally:
        await f.stop()


async def test_status_says_degraded_during_a_backlog_episode(sim: VideoSimulator,
                                                             tmp_path: Path) -> None:
    clock = {"now": T0}
    f = VideoFeed(settings_for(sim, "dssl", backlog_minutes=1), data_dir=tmp_path,
                  now=lambda: clock["now"])
    await sim["dssl"].pause()
    await f.start()
    try:
        await feed_all(f, receipt(1))
        clock["now"] = T0 + timedelta(minutes=2)
        await wait_for(lambda: f.episode is not None)
        st = f.status()
        assert st.health is Health.DEGRADED and st.detail["backlog_age_s"] == 120.0
    finally:
        await f.stop()


async def test_send_before_start_and_a_broken_disk_are_retry_later(
        sim: VideoSimulator, tmp_path: Path) -> None:
    f = VideoFeed(settings_for(sim), data_dir=tmp_path)
    with pytest.raises(RetryLater, match="не запущен"):
        await f.send(receipt(1)[0], key="a")
    await f.start()
    try:
        assert f.buffer is not None
        f.buffer.db.close()  # the disk under the queue failed
        with pytest.raises(RetryLater, match="на диске недоступна"):
            await f.send(receipt(1)[0], key="b")
        assert f.status().health is Health.DOWN  # the hub restarts it
    finally:
        await f.stop()


async def test_start_fails_when_the_queue_cannot_be_opened(sim: VideoSimulator,
                                                           tmp_path: Path) -> None:
    (tmp_path / "video").write_text("a file where the folder should be")
    f = VideoFeed(settings_for(sim), data_dir=tmp_path)
    with pytest.raises(RuntimeError, match="на диске недоступна"):
        await f.start()
    assert f.status().health is Health.DOWN




async def test_dssl_over_udp_one_datagram_per_event(tmp_path: Path) -> None:
    sim = VideoSimulator([("udp", "s1", "dssl")], transport="udp")
    fragment = await sim.start()
    try:
        assert fragment["video"]["feeds"][0]["transport"] == "udp"
        f = VideoFeed(settings_for(sim, "udp", transport="udp"), data_dir=tmp_path)
        await f.start()
        try:
            events = stream(5)
            await feed_all(f, events)
            await wait_for(lambda: len(sim["udp"].records) == len(events))
            exactly(sim, "udp", events, f)
            await sim["udp"].pause()  # refused: the feed sees it on a later datagram
            later = stream(10)[30:]
            await feed_all(f, later, prefix="later")
            await wait_for(lambda: f.last_error is not None and not f.connected)
            assert f.status().health is Health.DEGRADED
            await sim["udp"].resume()
            await wait_for(lambda: f.backlog == 0 and f.connected)
            await wait_for(lambda: sim["udp"].records[-1].raw
                           == encode(later[-1], f.settings).strip())
            got = [r.raw for r in sim["udp"].records[len(events):]]
            it = iter(encode(e, f.settings).strip() for e in later)
            assert all(g in it for g in got) and sim["udp"].duplicates() == []
        finally:
            await f.stop()
    finally:
        await sim.stop()
