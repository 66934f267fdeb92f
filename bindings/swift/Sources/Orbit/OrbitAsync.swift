// Idiomatic Swift over the generated bindings: a subscription and a discovery as
// AsyncThrowingStreams. No protocol logic here: each wrapper only adapts a listener.
import Foundation

/// Hands each report to a stream; the stream ends with an error when the subscription is lost.
final class StreamSubscriptionListener: SubscriptionListener, @unchecked Sendable {
    private let continuation: AsyncThrowingStream<Report, Error>.Continuation

    init(_ continuation: AsyncThrowingStream<Report, Error>.Continuation) {
        self.continuation = continuation
    }

    func onReport(report: Report) {
        continuation.yield(report)
    }

    func onLost() {
        continuation.finish(throwing: OrbitError.Unreachable(phase: .session, detail: "the subscription was lost"))
    }
}

/// Hands each discovered device to a stream.
final class StreamDiscoveryListener: DiscoveryListener, @unchecked Sendable {
    private let continuation: AsyncThrowingStream<DiscoveredDevice, Error>.Continuation

    init(_ continuation: AsyncThrowingStream<DiscoveredDevice, Error>.Continuation) {
        self.continuation = continuation
    }

    func onFound(device: DiscoveredDevice) {
        continuation.yield(device)
    }
}

extension DeviceSession {
    /// The reports of a subscription to `paths`: the initial report first, then every change
    /// (or keep-alive). Iterating subscribes; ending the iteration (leaving the loop,
    /// cancelling the task) unsubscribes at the device.
    public func reports(
        _ paths: [String],
        minIntervalS: UInt32 = 0,
        maxIntervalS: UInt32 = 60
    ) -> AsyncThrowingStream<Report, Error> {
        AsyncThrowingStream(bufferingPolicy: .unbounded) { continuation in
            let listener = StreamSubscriptionListener(continuation)
            let start = Task {
                do {
                    let subscription = try await self.subscribe(
                        paths: paths, listener: listener,
                        minIntervalS: minIntervalS, maxIntervalS: maxIntervalS)
                    continuation.onTermination = { _ in
                        Task { try? await subscription.cancel() }
                    }
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in start.cancel() }
        }
    }
}

extension OrbitController {
    /// The devices accepting pairing found within `timeout` seconds, each as it is found.
    public func discoveries(timeout: TimeInterval) -> AsyncThrowingStream<DiscoveredDevice, Error> {
        AsyncThrowingStream(bufferingPolicy: .unbounded) { continuation in
            let task = Task {
                do {
                    _ = try await self.discover(timeout: timeout, listener: StreamDiscoveryListener(continuation))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// A struct value from `(field number, value)` pairs, in any order.
public func structOf(_ fields: (UInt8, Value)...) -> Value {
    .struct(fields: fields.map { StructField(id: $0.0, value: $0.1) })
}
