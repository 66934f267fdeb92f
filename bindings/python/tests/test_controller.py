"""The Python bindings, run: pairing with reference devices on 127.0.0.1, describe, read,
write, invoke (a timed lock command included), a subscription and its cancellation,
unpairing, and the error paths."""

import asyncio
import threading
from datetime import timedelta

import pytest

import orbit
from conftest import DictStore

PIN = orbit.Value.STRUCT(fields=[orbit.StructField(id=0, value=orbit.Value.BYTES(value=b"1234"))])


def run(coro):
    return asyncio.run(coro)


class Browser(orbit.ServiceBrowser):
    """The app's browser seam, "finding" the testbed's lamp."""

    def __init__(self, records):
        self.records = records
        self.asked = []

    def browse(self, service_type, timeout):
        self.asked.append(service_type)
        return self.records


@pytest.fixture(scope="module")
def home(testbed):
    lamp = testbed.start("lamp", "py-lamp")
    lock = testbed.start("lock", "py-lock")
    store = DictStore()
    browser = Browser([lamp.service_record()])

    async def open_and_pair():
        c = await orbit.OrbitController.open(store, browser)
        paired = await c.pair_discovered(lamp.qr, timedelta(seconds=5), "lamp")
        lock_paired = await c.pair(lock.manual, lock.address, "lock")
        return c, paired, lock_paired

    controller, paired, lock_paired = run(open_and_pair())
    yield {
        "controller": controller,
        "paired": paired,
        "lamp": paired.session,
        "lock": lock_paired.session,
        "store": store,
        "browser": browser,
        "lamp_device": lamp,
    }
    run(controller.shutdown())


def test_pairing_uses_the_browser_seam_and_reports_phases(home):
    assert home["browser"].asked == ["_orbit._udp"]
    phases = [t.phase for t in home["paired"].timings]
    for p in (orbit.Phase.PASE, orbit.Phase.ATTESTATION, orbit.Phase.SESSION):
        assert p in phases
    assert all(t.ok for t in home["paired"].timings)
    assert sorted(d.name for d in home["controller"].devices()) == ["lamp", "lock"]
    assert home["store"].saves > 0


def test_describe_is_typed(home):
    d = run(home["lamp"].describe())
    light = next(e for e in d.endpoints if e.id == 1)
    on_off = next(c for c in light.capabilities if c.name == "on-off")
    on = next(a for a in on_off.attributes if a.name == "on")
    assert on.data_type.kind.is_BOOL()
    assert any(c.name == "toggle" for c in on_off.commands)


def test_write_read_invoke(home):
    lamp = home["lamp"]

    async def go():
        await lamp.write("1/on-off/on", orbit.Value.BOOL(value=True))
        first = await lamp.read_attribute("1/on-off/on")
        await lamp.invoke("1/on-off/toggle", None)
        second = await lamp.read_attribute("1/on-off/on")
        return first, second

    first, second = run(go())
    assert first == orbit.Value.BOOL(value=True)
    assert second == orbit.Value.BOOL(value=False)


def test_timed_lock_command(home):
    lock = home["lock"]

    async def go():
        await lock.invoke("1/door-lock/unlock-door", PIN)
        return await lock.read_attribute("1/door-lock/lock-state")

    assert run(go()) == orbit.Value.UINT(value=2)
    wrong = orbit.Value.STRUCT(fields=[orbit.StructField(id=0, value=orbit.Value.BYTES(value=b"0000"))])
    with pytest.raises(orbit.OrbitError.Rejected) as e:
        run(lock.invoke("1/door-lock/lock-door", wrong))
    assert e.value.status_name == "access-denied"
    assert e.value.phase == orbit.Phase.SESSION


class Listener(orbit.SubscriptionListener):
    def __init__(self):
        self.reports = []
        self.changed = threading.Event()
        self.lost = False

    def on_report(self, report):
        self.reports.append(report)
        self.changed.set()

    def on_lost(self):
        self.lost = True


def test_subscribe_reports_and_cancel(home):
    lamp = home["lamp"]
    listener = Listener()

    async def subscribe():
        await lamp.write("1/level/current-level", orbit.Value.UINT(value=20))
        return await lamp.subscribe(["1/level/current-level"], listener, 0, 60)

    sub = run(subscribe())
    assert listener.changed.wait(60)
    assert sub.initial().attributes[0].value == orbit.Value.UINT(value=20)
    listener.changed.clear()
    run(lamp.write("1/level/current-level", orbit.Value.UINT(value=99)))
    assert listener.changed.wait(60), "no report after the change"
    assert listener.reports[-1].attributes[0].value == orbit.Value.UINT(value=99)
    run(sub.cancel())
    listener.changed.clear()
    run(lamp.write("1/level/current-level", orbit.Value.UINT(value=98)))
    # The write was answered; a live subscription would be reported at once.
    assert not listener.changed.wait(0.5), "a report after cancel"
    assert not listener.lost


def test_unpair(testbed, home):
    c = home["controller"]
    spare = testbed.start("lamp", "py-spare")
    run(c.pair(spare.qr, spare.address, "spare"))
    assert c.device("spare") is not None
    assert run(c.unpair("spare", False)).is_FROM_DEVICE()
    assert c.device("spare") is None
    testbed.stop("py-spare")


def test_wrong_setup_code(testbed, home):
    victim = testbed.start("lamp", "py-victim")
    with pytest.raises(orbit.OrbitError.WrongSetupCode) as e:
        run(home["controller"].pair(victim.wrong_qr, victim.address, "victim"))
    assert e.value.phase == orbit.Phase.PASE
    testbed.stop("py-victim")


def test_unknown_device(home):
    with pytest.raises(orbit.OrbitError.NotFound) as e:
        run(home["controller"].connect("no-such-device"))
    assert e.value.phase == orbit.Phase.DISCOVERY


def test_device_gone(testbed, home):
    c = home["controller"]
    gone = testbed.start("lamp", "py-gone")
    session = run(c.pair(gone.qr, gone.address, "gone")).session
    testbed.stop("py-gone")
    with pytest.raises((orbit.OrbitError.Unreachable, orbit.OrbitError.Timeout)):
        run(session.read_attribute("1/on-off/on"))
    assert run(c.unpair("gone", True)).is_LOCALLY_ONLY()


def test_bad_values(home):
    lamp = home["lamp"]
    with pytest.raises(orbit.OrbitError.Rejected) as e:
        run(lamp.write("1/level/current-level", orbit.Value.UINT(value=100_000)))
    assert e.value.status_name == "constraint-error"
    with pytest.raises(orbit.OrbitError.InvalidInput):
        run(lamp.read(["1/on-off/no-such-thing"]))
    with pytest.raises(orbit.OrbitError.InvalidInput) as e:
        run(home["controller"].pair("OB1:garbage", "127.0.0.1:1", None))
    assert e.value.phase == orbit.Phase.SETUP_CODE
