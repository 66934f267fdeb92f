"""Checks that the generated Swift matches the built library: the uniffi contract version and
every API checksum the Swift file verifies at load time are called in the library (through
ctypes) and compared. A mismatch is what an iOS app would hit as "UniFFI API checksum
mismatch" at start-up.

usage: checksums.py ORBIT_SWIFT LIBRARY
"""

import ctypes
import re
import sys


def main(swift_path, library):
    text = open(swift_path, encoding="utf-8").read()
    lib = ctypes.CDLL(library)
    failures = 0
    contract = re.search(r"let bindings_contract_version = (\d+)", text)
    expected = [(name, int(value)) for name, value in
                re.findall(r"\((uniffi_orbit_bindings_checksum_\w+)\(\) != (\d+)\)", text)]
    if not contract or not expected:
        print("FAIL no contract version or checksums found in the Swift file")
        return 1
    fn = lib.ffi_orbit_bindings_uniffi_contract_version
    fn.restype = ctypes.c_uint32
    if fn() != int(contract.group(1)):
        print(f"FAIL contract version: Swift {contract.group(1)}, library {fn()}")
        failures += 1
    for name, value in expected:
        f = getattr(lib, name)
        f.restype = ctypes.c_uint16
        if f() != value:
            print(f"FAIL {name}: Swift {value}, library {f()}")
            failures += 1
    print(f"{len(expected) + 1 - failures} passed, {failures} failed (uniffi checksums)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
