// Idiomatic Kotlin over the generated bindings: a subscription and a discovery as cold
// Flows. No protocol logic here: each wrapper only adapts a listener to a channel.
package dev.orbit

import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.channelFlow
import kotlinx.coroutines.withContext
import java.time.Duration

/**
 * The reports of a subscription to [paths]: the initial report first, then every change (or
 * keep-alive). Collecting subscribes; cancelling the collector (or `take(n)`, `first()`...)
 * unsubscribes at the device. The flow fails with [OrbitException.Unreachable] when the
 * subscription is lost (the device went silent or the connection closed).
 */
fun DeviceSession.reports(
    paths: List<String>,
    minIntervalS: UInt = 0u,
    maxIntervalS: UInt = 60u,
): Flow<Report> = channelFlow {
    val listener = object : SubscriptionListener {
        override fun onReport(report: Report) {
            trySend(report)
        }

        override fun onLost() {
            close(OrbitException.Unreachable(Phase.SESSION, "the subscription to ${name()} was lost"))
        }
    }
    val subscription = subscribe(paths, listener, minIntervalS, maxIntervalS)
    try {
        awaitClose()
    } finally {
        withContext(NonCancellable) {
            runCatching { subscription.cancel() }
            subscription.close()
        }
    }
}.buffer(Channel.UNLIMITED)

/** The devices accepting pairing found within [timeout], each as soon as it is found. */
fun OrbitController.discoveries(timeout: Duration): Flow<DiscoveredDevice> = callbackFlow {
    discover(timeout, object : DiscoveryListener {
        override fun onFound(device: DiscoveredDevice) {
            trySend(device)
        }
    })
    close()
    awaitClose()
}.buffer(Channel.UNLIMITED)

/** The value of [path] (`1/on-off/on`) as a Boolean; throws if it is not one. */
suspend fun DeviceSession.readBool(path: String): Boolean =
    when (val v = readAttribute(path)) {
        is Value.Bool -> v.value
        else -> throw OrbitException.InvalidInput(Phase.REQUEST, "$path is not a boolean: $v")
    }

/** A struct value from `field number to value` pairs, in any order. */
fun structOf(vararg fields: Pair<Int, Value>): Value =
    Value.Struct(fields.map { (id, v) -> StructField(id.toUByte(), v) })
