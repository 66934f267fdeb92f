"""Reference devices for the tests: the orbit-testbed binary, driven over its stdin."""

import os
import subprocess

import pytest

import orbit


class Device:
    """A device the testbed started: its address, setup codes and DNS-SD record."""

    def __init__(self, name, fields):
        self.name = name
        self.fields = fields
        self.address = fields["address"]
        self.qr = fields["qr"]
        self.manual = fields["manual"]
        self.wrong_qr = fields["wrong_qr"]
        # Where a `ble-lamp`'s simulated Bluetooth side is reached (testbed/src/air.rs).
        host, _, port = fields.get("ble", ":0").rpartition(":")
        self.ble = (host, int(port))

    def service_record(self):
        return orbit.ServiceRecord(
            instance=self.fields["instance"],
            port=int(self.fields["port"]),
            addresses=[self.address.rsplit(":", 1)[0]],
            txt=[
                orbit.TxtEntry(key=k, value=v.encode())
                for k, v in (e.split("=", 1) for e in self.fields["txt"].split(";"))
            ],
        )


class Testbed:
    def __init__(self, binary):
        self.process = subprocess.Popen(
            [binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def command(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        assert answer and not answer.startswith("error"), f"testbed: {answer!r}"
        return answer

    def start(self, kind, name):
        words = self.command(f"start {kind} {name}").split(" ")
        return Device(name, dict(w.split("=", 1) for w in words[2:]))

    def stop(self, name):
        self.command(f"stop {name}")

    def close(self):
        try:
            self.command("quit")
        except (AssertionError, BrokenPipeError):
            pass
        self.process.wait(timeout=30)


class DictStore(orbit.SecureStore):
    """A store implemented in Python, as an app implements one over a keyring."""

    def __init__(self):
        self.records = {}
        self.saves = 0

    def load(self, key):
        return self.records.get(key)

    def save(self, key, bytes):
        self.saves += 1
        self.records[key] = bytes

    def remove(self, key):
        return self.records.pop(key, None) is not None

    def keys(self):
        return sorted(self.records)


@pytest.fixture(scope="session")
def testbed():
    bed = Testbed(os.environ["ORBIT_TESTBED"])
    yield bed
    bed.close()
