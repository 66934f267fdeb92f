"""Orbit over Bluetooth LE from Python: the controller pairs through a BleBridge written in
Python, whose radio is the testbed's simulated link to a lamp (testbed/src/air.rs), reads
and writes over BLE, hands the session off to QUIC, falls back to BLE and opens a new session over BLE; a wrong
setup code fails clearly."""

import asyncio
import socket
import struct
import threading

import pytest

import orbit


def run(coro):
    return asyncio.run(coro)


def _read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class SimulatedBleBridge(orbit.BleBridge):
    """A bridge shaped like a phone's GATT client: a thread per connection hands each
    notification and the disconnection to the SDK's inbound; writes go out in order."""

    def __init__(self, in_range):
        self.in_range = in_range
        self.connections = {}
        self.lock = threading.Lock()
        self.scans = 0
        self.writes = 0

    def _open(self, peripheral, op):
        at = self.in_range.get(peripheral)
        if at is None:
            raise orbit.BleFailure.Failed(f"no peripheral {peripheral} in range")
        s = socket.create_connection(at)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(op)
        return s

    def start_scan(self, scan):
        self.scans += 1
        for peripheral in self.in_range:
            with self._open(peripheral, b"A") as s:
                (n,) = struct.unpack(">H", _read_exactly(s, 2))
                scan.on_sighting(
                    orbit.BleSighting(
                        peripheral=peripheral, service_data=_read_exactly(s, n), rssi=-50
                    )
                )

    def stop_scan(self):
        pass

    def connect(self, peripheral, inbound):
        s = self._open(peripheral, b"C")
        (mtu,) = struct.unpack(">H", _read_exactly(s, 2))
        with self.lock:
            self.connections[peripheral] = s

        def callbacks():
            try:
                while True:
                    (n,) = struct.unpack(">H", _read_exactly(s, 2))
                    inbound.on_notification(_read_exactly(s, n))
            except (EOFError, OSError):
                pass
            finally:
                with self.lock:
                    if self.connections.get(peripheral) is s:
                        del self.connections[peripheral]
                s.close()
                inbound.on_disconnected()

        threading.Thread(target=callbacks, daemon=True).start()
        return mtu

    def write(self, peripheral, value):
        with self.lock:
            s = self.connections.get(peripheral)
            if s is None:
                raise orbit.BleFailure.Failed(f"{peripheral} is not connected")
            s.sendall(struct.pack(">H", len(value)) + value)
            self.writes += 1

    def disconnect(self, peripheral):
        with self.lock:
            s = self.connections.pop(peripheral, None)
        if s is not None:
            s.close()


@pytest.fixture(scope="module")
def air(testbed):
    lamp = testbed.start("ble-lamp", "py-ble-lamp")
    victim = testbed.start("ble-lamp", "py-ble-victim")
    bridge = SimulatedBleBridge({lamp.name: lamp.ble, victim.name: victim.ble})
    return lamp, victim, bridge


def test_pair_over_ble_read_write_hand_off_and_fall_back(air):
    lamp, _, bridge = air

    async def scenario():
        c = await orbit.OrbitController.open(orbit.memory_store())
        try:
            paired = await c.pair_over_ble(lamp.qr, bridge, "lamp")
            s = paired.session
            assert s.remote_address() == "bluetooth"
            assert bridge.scans >= 1
            await s.write("1/on-off/on", orbit.Value.BOOL(value=True))
            assert await s.read_attribute("1/on-off/on") == orbit.Value.BOOL(value=True)
            assert bridge.writes > 0

            handoff = await c.hand_off(s)
            assert handoff.address == lamp.address
            assert s.remote_address() == lamp.address
            # The BLE link closes gracefully, then the SDK disconnects the bridge.
            while bridge.connections:
                await asyncio.sleep(0.01)
            written = bridge.writes
            assert await s.read_attribute("1/on-off/on") == orbit.Value.BOOL(value=True)
            assert bridge.writes == written, "the read after the handoff went over QUIC"

            await c.fall_back_to_ble(s, bridge)
            assert s.remote_address() == "bluetooth"
            assert await s.read_attribute("1/on-off/on") == orbit.Value.BOOL(value=True)
            assert bridge.writes > written
            s.disconnect()

            again = await c.connect_over_ble("lamp", bridge)
            assert again.remote_address() == "bluetooth"
            assert await again.read_attribute("1/on-off/on") == orbit.Value.BOOL(value=True)
            again.disconnect()
        finally:
            await c.shutdown()

    run(scenario())


def test_wrong_setup_code_over_ble(air):
    _, victim, bridge = air

    async def scenario():
        c = await orbit.OrbitController.open(orbit.memory_store())
        try:
            with pytest.raises(orbit.OrbitError.WrongSetupCode):
                await c.pair_over_ble(victim.wrong_qr, bridge, "victim")
            assert c.device("victim") is None
        finally:
            await c.shutdown()

    run(scenario())
