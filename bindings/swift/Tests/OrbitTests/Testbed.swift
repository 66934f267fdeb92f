// The reference devices of the tests: the orbit-testbed binary (ORBIT_TESTBED), driven
// over its stdin, as the Kotlin and Python suites do.
import Foundation
import XCTest
@testable import Orbit

struct TestDevice {
    let name: String
    let fields: [String: String]
    var address: String { fields["address"]! }
    var qr: String { fields["qr"]! }
    var manual: String { fields["manual"]! }
    var wrongQr: String { fields["wrong_qr"]! }

    /// The advertisement the device would send, as NWBrowser resolves it.
    func serviceRecord() -> ServiceRecord {
        let host = String(address[..<address.lastIndex(of: ":")!])
        let txt = fields["txt"]!.split(separator: ";").map { entry -> TxtEntry in
            let parts = entry.split(separator: "=", maxSplits: 1)
            return TxtEntry(key: String(parts[0]), value: Data(parts[1].utf8))
        }
        return ServiceRecord(instance: fields["instance"]!, port: UInt16(fields["port"]!)!, addresses: [host], txt: txt)
    }
}

final class Testbed {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered = Data()

    init() throws {
        guard let path = ProcessInfo.processInfo.environment["ORBIT_TESTBED"] else {
            throw XCTSkip("set ORBIT_TESTBED to the orbit-testbed binary")
        }
        process.executableURL = URL(fileURLWithPath: path)
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    private func readLine() -> String {
        while true {
            if let nl = buffered.firstIndex(of: 0x0a) {
                let line = String(decoding: buffered[..<nl], as: UTF8.self)
                buffered.removeSubrange(...nl)
                return line
            }
            buffered.append(output.fileHandleForReading.availableData)
        }
    }

    @discardableResult
    func command(_ line: String) -> String {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        let answer = readLine()
        precondition(!answer.hasPrefix("error"), "testbed: \(answer)")
        return answer
    }

    func start(_ kind: String, _ name: String) -> TestDevice {
        let words = command("start \(kind) \(name)").split(separator: " ").dropFirst(2)
        var fields: [String: String] = [:]
        for w in words {
            let kv = w.split(separator: "=", maxSplits: 1)
            fields[String(kv[0])] = String(kv[1])
        }
        return TestDevice(name: name, fields: fields)
    }

    func stop(_ name: String) { command("stop \(name)") }

    func close() {
        command("quit")
        process.waitUntilExit()
    }
}

/// A store in memory implemented in Swift, as an app implements one over the Keychain.
final class DictionaryStore: SecureStore, @unchecked Sendable {
    private var records: [String: Data] = [:]
    private let lock = NSLock()
    private(set) var saves = 0

    func load(key: String) throws -> Data? { lock.withLock { records[key] } }
    func save(key: String, bytes: Data) throws { lock.withLock { saves += 1; records[key] = bytes } }
    func remove(key: String) throws -> Bool { lock.withLock { records.removeValue(forKey: key) != nil } }
    func keys() throws -> [String] { lock.withLock { records.keys.sorted() } }
}

/// A platform browser that "finds" the testbed's devices, as NWBrowser would.
final class FakeBrowser: ServiceBrowser, @unchecked Sendable {
    let records: [ServiceRecord]
    private(set) var asked: [String] = []
    init(_ records: [ServiceRecord]) { self.records = records }
    func browse(serviceType: String, timeout: TimeInterval) throws -> [ServiceRecord] {
        asked.append(serviceType)
        return records
    }
}
