// The Kotlin bindings, run: pairing with reference devices on 127.0.0.1, describe, read,
// write, invoke (a timed lock command included), subscriptions as Flows, unpairing, and the
// error paths, all through the generated code and coroutines.
package dev.orbit

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.coroutines.yield
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.BeforeClass
import org.junit.Test
import java.time.Duration
import java.util.concurrent.atomic.AtomicInteger

class OrbitControllerTest {
    companion object {
        lateinit var testbed: Testbed
        lateinit var lamp: TestDevice
        lateinit var lock: TestDevice
        lateinit var store: MapStore
        lateinit var browser: FakeBrowser
        lateinit var controller: OrbitController
        lateinit var lampPairing: Paired
        lateinit var lampSession: DeviceSession
        lateinit var lockSession: DeviceSession

        /** Generous bound for one step on a loaded machine (not a speed check). */
        const val PATIENCE_MS = 60_000L

        @BeforeClass
        @JvmStatic
        fun setUp(): Unit = runBlocking {
            testbed = Testbed(System.getProperty("orbit.testbed") ?: error("-Dorbit.testbed=PATH missing"))
            lamp = testbed.start("lamp", "lamp")
            lock = testbed.start("lock", "lock")
            store = MapStore()
            browser = FakeBrowser { listOf(lamp.serviceRecord()) }
            controller = OrbitController.open(store, browser)
            // The lamp is found through the app's browser seam, the lock by its address.
            lampPairing = controller.pairDiscovered(lamp.qr, Duration.ofSeconds(5), "lamp")
            lampSession = lampPairing.session
            lockSession = controller.pair(lock.manual, lock.address, "lock").session
        }

        @AfterClass
        @JvmStatic
        fun tearDown(): Unit = runBlocking {
            controller.shutdown()
            controller.close()
            testbed.close()
        }
    }

    private inline fun <reified E : OrbitException> assertThrows(block: () -> Unit): E {
        try {
            block()
        } catch (e: OrbitException) {
            if (e is E) return e
            fail("expected ${E::class.simpleName}, got ${e::class.simpleName}: ${e.message}")
        }
        fail("expected ${E::class.simpleName}, but the call succeeded")
        error("unreachable")
    }

    @Test
    fun pairingThroughTheBrowserSeamReportsEachPhase() {
        assertTrue("the app's browser was asked", browser.calls >= 1)
        assertEquals("_orbit._udp", browser.lastServiceType)
        val phases = lampPairing.timings.map { it.phase }
        for (p in listOf(Phase.SETUP_CODE, Phase.CONNECT, Phase.PASE, Phase.ATTESTATION, Phase.SESSION, Phase.DESCRIBE)) {
            assertTrue("$p in $phases", p in phases)
        }
        assertTrue(lampPairing.timings.all { it.ok && !it.duration.isNegative })
        assertEquals("lamp", lampPairing.device.name)
        assertEquals(listOf("lamp", "lock"), controller.devices().map { it.name }.sorted())
    }

    @Test
    fun theHomeLivesInTheAppsStore(): Unit = runBlocking {
        assertTrue("the controller saved to the Kotlin store", store.saves > 0)
        assertTrue(store.keys().isNotEmpty())
        // A second controller on the same store is the same home with the same devices.
        val again = OrbitController.open(store)
        assertEquals(controller.homeId(), again.homeId())
        assertEquals(controller.devices().map { it.name }.sorted(), again.devices().map { it.name }.sorted())
        again.shutdown()
        again.close()
    }

    @Test
    fun describeGivesTypedCapabilities(): Unit = runBlocking {
        val d = lampSession.describe()
        assertEquals(0x8001.toUShort(), d.productId)
        val light = d.endpoints.first { it.id.toInt() == 1 }
        val onOff = light.capabilities.first { it.name == "on-off" }
        val on = onOff.attributes.first { it.name == "on" }
        assertTrue(on.dataType?.kind is DataKind.Bool)
        assertTrue(on.readable && on.writable && on.reportable)
        assertTrue(onOff.commands.any { it.name == "toggle" })
        val level = light.capabilities.first { it.name == "level" }.attributes.first { it.name == "current-level" }
        val kind = level.dataType?.kind
        assertTrue("$kind", kind is DataKind.Uint && kind.max >= kind.min)
    }

    @Test
    fun writeReadAndInvoke(): Unit = runBlocking {
        lampSession.write("1/on-off/on", Value.Bool(true))
        assertTrue(lampSession.readBool("1/on-off/on"))
        lampSession.invoke("1/on-off/toggle")
        assertFalse(lampSession.readBool("1/on-off/on"))
        val all = lampSession.read(listOf("1/on-off/*"))
        val on = all.first { it.path == "1/on-off/on" }
        assertEquals(Value.Bool(false), on.value)
        assertEquals(0.toUShort(), on.status)
    }

    @Test
    fun timedLockCommandsWithPin(): Unit = runBlocking {
        // unlock-door is timed in the registry: the bindings send it as a timed interaction.
        lockSession.invoke("1/door-lock/unlock-door", structOf(0 to Value.Bytes("1234".toByteArray())))
        assertEquals(Value.Uint(2u), lockSession.readAttribute("1/door-lock/lock-state"))
        val refused = assertThrows<OrbitException.Rejected> {
            runBlocking { lockSession.invoke("1/door-lock/lock-door", structOf(0 to Value.Bytes("9999".toByteArray()))) }
        }
        assertEquals("access-denied", refused.statusName)
        assertEquals(0x0309.toUShort(), refused.status)
        assertEquals(Phase.SESSION, refused.phase)
        lockSession.invoke("1/door-lock/lock-door", structOf(0 to Value.Bytes("1234".toByteArray())))
        assertEquals(Value.Uint(1u), lockSession.readAttribute("1/door-lock/lock-state"))
    }

    @Test
    fun subscriptionFlowDeliversReportsAndUnsubscribesOnCancel(): Unit = runBlocking {
        lampSession.write("1/level/current-level", Value.Uint(10u))
        val reports = async {
            lampSession.reports(listOf("1/level/current-level")).take(2).toList()
        }
        // Wait for the initial report before changing the value, through a second collector.
        val initial = withTimeout(PATIENCE_MS) { lampSession.reports(listOf("1/level/current-level")).first() }
        assertEquals(Value.Uint(10u), initial.attributes.single().value)
        lampSession.write("1/level/current-level", Value.Uint(200u))
        val got = withTimeout(PATIENCE_MS) { reports.await() }
        assertEquals(Value.Uint(200u), got.last().attributes.first { it.path == "1/level/current-level" }.value)
    }

    @Test
    fun cancelledSubscriptionGetsNoMoreReports(): Unit = runBlocking {
        val count = AtomicInteger()
        val firstReport = CompletableDeferred<Unit>()
        val sub = lampSession.subscribe(listOf("1/on-off/on"), object : SubscriptionListener {
            override fun onReport(report: Report) {
                count.incrementAndGet()
                firstReport.complete(Unit)
            }
            override fun onLost() {}
        })
        withTimeout(PATIENCE_MS) { firstReport.await() }
        assertEquals(1, count.get())
        sub.cancel()
        lampSession.invoke("1/on-off/toggle")
        // The device answered the toggle; a live subscription would be reported at once.
        lampSession.readBool("1/on-off/on")
        Thread.sleep(500)
        assertEquals("no report after cancel", 1, count.get())
        sub.cancel() // a second cancel is a no-op
        sub.close()
    }

    @Test
    fun unpairForgetsTheDevice(): Unit = runBlocking {
        val spare = testbed.start("lamp", "spare")
        controller.pair(spare.qr, spare.address, "spare").session.disconnect()
        assertNotNull(controller.device("spare"))
        assertEquals(UnpairOutcome.FromDevice, controller.unpair("spare"))
        assertNull(controller.device("spare"))
        assertThrows<OrbitException.NotFound> { runBlocking { controller.connect("spare") } }
        testbed.stop("spare")
    }

    @Test
    fun openPairingWindowLetsAnotherHomePair(): Unit = runBlocking {
        controller.openPairingWindow("lamp", Duration.ofSeconds(180))
        val other = OrbitController.open(memoryStore(), browser)
        val paired = other.pair(lamp.qr, lamp.address, "their-lamp")
        assertTrue(other.homeId() != controller.homeId())
        assertTrue(paired.session.readAttribute("1/on-off/on") is Value.Bool)
        other.shutdown()
        other.close()
    }

    @Test
    fun wrongSetupCode(): Unit = runBlocking {
        val victim = testbed.start("lamp", "victim")
        val e = assertThrows<OrbitException.WrongSetupCode> {
            runBlocking { controller.pair(victim.wrongQr, victim.address, "victim") }
        }
        assertEquals(Phase.PASE, e.phase)
        assertNull(controller.device("victim"))
        testbed.stop("victim")
    }

    @Test
    fun malformedSetupCodeAndAddress(): Unit = runBlocking {
        val e = assertThrows<OrbitException.InvalidInput> {
            runBlocking { controller.pair("OB1:not-a-code", lamp.address) }
        }
        assertEquals(Phase.SETUP_CODE, e.phase)
        assertThrows<OrbitException.InvalidInput> { runBlocking { controller.pair(lamp.qr, "quic://") } }
    }

    @Test
    fun unknownDevice(): Unit = runBlocking {
        val e = assertThrows<OrbitException.NotFound> { runBlocking { controller.connect("no-such-device") } }
        assertEquals(Phase.DISCOVERY, e.phase)
        assertThrows<OrbitException.NotFound> { runBlocking { controller.unpair("no-such-device") } }
    }

    @Test
    fun badValuesAndPaths(): Unit = runBlocking {
        val e = assertThrows<OrbitException.Rejected> {
            runBlocking { lampSession.write("1/on-off/on", Value.Text("yes")) }
        }
        assertTrue(e.statusName, e.statusName in setOf("invalid-data-type", "constraint-error"))
        val range = assertThrows<OrbitException.Rejected> {
            runBlocking { lampSession.write("1/level/current-level", Value.Uint(100_000u)) }
        }
        assertEquals("constraint-error", range.statusName)
        assertThrows<OrbitException.InvalidInput> { runBlocking { lampSession.read(listOf("1/on-off/no-such-thing")) } }
        assertThrows<OrbitException.InvalidInput> { runBlocking { lampSession.invoke("not a path") } }
    }

    @Test
    fun deviceGone(): Unit = runBlocking {
        val gone = testbed.start("lamp", "gone")
        val session = controller.pair(gone.qr, gone.address, "gone").session
        assertTrue(session.readAttribute("1/on-off/on") is Value.Bool)
        testbed.stop("gone")
        try {
            session.readAttribute("1/on-off/on")
            fail("a read from a stopped device succeeded")
        } catch (e: OrbitException) {
            assertTrue("${e::class.simpleName}: ${e.message}", e is OrbitException.Unreachable || e is OrbitException.Timeout)
        }
        // The device cannot be told: it is forgotten here only.
        assertTrue(controller.unpair("gone", force = true) is UnpairOutcome.LocallyOnly)
        assertNull(controller.device("gone"))
    }

    @Test
    fun cancellingTheCoroutineLeavesTheSessionUsable(): Unit = runBlocking {
        // A describe cancelled almost at once: the Rust future is dropped, nothing breaks.
        withTimeoutOrNull(1) {
            yield()
            lampSession.describe()
        }
        assertTrue(lampSession.describe().endpoints.isNotEmpty())
    }
}
