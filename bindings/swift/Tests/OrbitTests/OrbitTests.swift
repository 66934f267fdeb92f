// The Swift bindings, run: the same cases as the Kotlin suite (bindings/kotlin), with
// async/await and AsyncThrowingStream. Run on a Mac: see bindings/README.md.
import Foundation
import XCTest
@testable import Orbit

final class OrbitTests: XCTestCase {
    static var testbed: Testbed!
    static var lamp: TestDevice!
    static var lock: TestDevice!
    static var store: DictionaryStore!
    static var browser: FakeBrowser!
    static var controller: OrbitController!
    static var lampPairing: Paired!
    static var lockSession: DeviceSession!

    override class func setUp() {
        super.setUp()
        let done = expectation(description: "paired")
        Task {
            testbed = try Testbed()
            lamp = testbed.start("lamp", "lamp")
            lock = testbed.start("lock", "lock")
            store = DictionaryStore()
            browser = FakeBrowser([lamp.serviceRecord()])
            controller = try await OrbitController.open(store: store, browser: browser)
            lampPairing = try await controller.pairDiscovered(code: lamp.qr, timeout: 5, name: "lamp")
            lockSession = try await controller.pair(code: lock.manual, address: lock.address, name: "lock").session
            done.fulfill()
        }
        _ = XCTWaiter.wait(for: [done], timeout: 120)
    }

    override class func tearDown() {
        let done = expectation(description: "shut down")
        Task {
            try? await controller?.shutdown()
            done.fulfill()
        }
        _ = XCTWaiter.wait(for: [done], timeout: 30)
        testbed?.close()
        super.tearDown()
    }

    private static func expectation(description: String) -> XCTestExpectation {
        XCTestExpectation(description: description)
    }

    var lampSession: DeviceSession { Self.lampPairing.session }
    var controller: OrbitController { Self.controller }

    func testPairingThroughTheBrowserSeamReportsEachPhase() {
        XCTAssertEqual(Self.browser.asked.first, "_orbit._udp")
        let phases = Self.lampPairing.timings.map(\.phase)
        for p in [Phase.setupCode, .connect, .pase, .attestation, .session, .describe] {
            XCTAssertTrue(phases.contains(p), "\(p) in \(phases)")
        }
        XCTAssertTrue(Self.lampPairing.timings.allSatisfy { $0.ok && $0.duration >= 0 })
        XCTAssertEqual(controller.devices().map(\.name).sorted(), ["lamp", "lock"])
    }

    func testTheHomeLivesInTheAppsStore() async throws {
        XCTAssertGreaterThan(Self.store.saves, 0)
        let again = try await OrbitController.open(store: Self.store)
        XCTAssertEqual(again.homeId(), controller.homeId())
        try await again.shutdown()
    }

    func testDescribeGivesTypedCapabilities() async throws {
        let d = try await lampSession.describe()
        XCTAssertEqual(d.productId, 0x8001)
        let light = try XCTUnwrap(d.endpoints.first { $0.id == 1 })
        let onOff = try XCTUnwrap(light.capabilities.first { $0.name == "on-off" })
        let on = try XCTUnwrap(onOff.attributes.first { $0.name == "on" })
        XCTAssertEqual(on.dataType?.kind, .bool)
        XCTAssertTrue(onOff.commands.contains { $0.name == "toggle" })
    }

    func testWriteReadAndInvoke() async throws {
        try await lampSession.write(path: "1/on-off/on", value: .bool(value: true))
        XCTAssertEqual(try await lampSession.readAttribute(path: "1/on-off/on"), .bool(value: true))
        _ = try await lampSession.invoke(path: "1/on-off/toggle")
        XCTAssertEqual(try await lampSession.readAttribute(path: "1/on-off/on"), .bool(value: false))
    }

    func testTimedLockCommandsWithPin() async throws {
        _ = try await Self.lockSession.invoke(path: "1/door-lock/unlock-door", args: structOf((0, .bytes(value: Data("1234".utf8)))))
        XCTAssertEqual(try await Self.lockSession.readAttribute(path: "1/door-lock/lock-state"), .uint(value: 2))
        do {
            _ = try await Self.lockSession.invoke(path: "1/door-lock/lock-door", args: structOf((0, .bytes(value: Data("9999".utf8)))))
            XCTFail("a wrong PIN was accepted")
        } catch let OrbitError.Rejected(phase, status, statusName, _) {
            XCTAssertEqual(phase, .session)
            XCTAssertEqual(status, 0x0309)
            XCTAssertEqual(statusName, "access-denied")
        }
    }

    func testSubscriptionStreamDeliversReportsAndUnsubscribesOnCancel() async throws {
        try await lampSession.write(path: "1/level/current-level", value: .uint(value: 10))
        var iterator = lampSession.reports(["1/level/current-level"]).makeAsyncIterator()
        let initial = try await iterator.next()
        XCTAssertEqual(initial?.attributes.first?.value, .uint(value: 10))
        try await lampSession.write(path: "1/level/current-level", value: .uint(value: 200))
        let changed = try await iterator.next()
        XCTAssertEqual(changed?.attributes.first?.value, .uint(value: 200))
    }

    func testUnpairForgetsTheDevice() async throws {
        let spare = Self.testbed.start("lamp", "spare")
        _ = try await controller.pair(code: spare.qr, address: spare.address, name: "spare")
        XCTAssertEqual(try await controller.unpair(name: "spare"), .fromDevice)
        XCTAssertNil(controller.device(name: "spare"))
        Self.testbed.stop("spare")
    }

    func testWrongSetupCode() async throws {
        let victim = Self.testbed.start("lamp", "victim")
        do {
            _ = try await controller.pair(code: victim.wrongQr, address: victim.address, name: "victim")
            XCTFail("a wrong setup code paired")
        } catch let OrbitError.WrongSetupCode(phase, _, _) {
            XCTAssertEqual(phase, .pase)
        }
        Self.testbed.stop("victim")
    }

    func testUnknownDevice() async throws {
        do {
            _ = try await controller.connect(name: "no-such-device")
            XCTFail("connected to a device that does not exist")
        } catch let OrbitError.NotFound(phase, _) {
            XCTAssertEqual(phase, .discovery)
        }
    }

    func testDeviceGone() async throws {
        let gone = Self.testbed.start("lamp", "gone")
        let session = try await controller.pair(code: gone.qr, address: gone.address, name: "gone").session
        Self.testbed.stop("gone")
        do {
            _ = try await session.readAttribute(path: "1/on-off/on")
            XCTFail("a read from a stopped device succeeded")
        } catch let e as OrbitError {
            if case .Unreachable = e {} else if case .Timeout = e {} else { XCTFail("\(e)") }
        }
        if case .locallyOnly = try await controller.unpair(name: "gone", force: true) {} else {
            XCTFail("the stopped device was told")
        }
    }

    func testBadValuesAndPaths() async throws {
        do {
            try await lampSession.write(path: "1/level/current-level", value: .uint(value: 100_000))
            XCTFail("an out-of-range value was written")
        } catch let OrbitError.Rejected(_, _, statusName, _) {
            XCTAssertEqual(statusName, "constraint-error")
        }
        do {
            _ = try await lampSession.read(paths: ["1/on-off/no-such-thing"])
            XCTFail("a bad path was read")
        } catch OrbitError.InvalidInput {
        }
    }
}
