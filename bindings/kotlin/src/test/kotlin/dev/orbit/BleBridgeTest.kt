// Orbit over Bluetooth LE from Kotlin: the controller pairs through a BleBridge written in
// Kotlin (SimulatedBleBridge, shaped like an Android GATT client), whose radio is the
// testbed's simulated link to a lamp. Every ATT value crosses the Kotlin bridge; the framing,
// pairing, session and handoff run in Rust on both ends.
package dev.orbit

import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.BeforeClass
import org.junit.Test

class BleBridgeTest {
    companion object {
        lateinit var testbed: Testbed
        lateinit var lamp: TestDevice
        lateinit var victim: TestDevice
        lateinit var controller: OrbitController
        lateinit var bridge: SimulatedBleBridge

        /** Generous bound for one step on a loaded machine (not a speed check). */
        const val PATIENCE_MS = 60_000L

        @BeforeClass
        @JvmStatic
        fun setUp(): Unit = runBlocking {
            testbed = Testbed(System.getProperty("orbit.testbed") ?: error("-Dorbit.testbed=PATH missing"))
            lamp = testbed.start("ble-lamp", "ble-lamp")
            victim = testbed.start("ble-lamp", "ble-victim")
            bridge = SimulatedBleBridge { mapOf(lamp.name to lamp.ble, victim.name to victim.ble) }
            controller = OrbitController.open(memoryStore())
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
    fun pairsOverTheKotlinBridgeThenHandsOffToQuicAndFallsBack(): Unit = runBlocking {
        withTimeout(PATIENCE_MS) {
            // Found by its advert's discriminator, paired over BLE [BLE-20] [BLE-24].
            val paired = controller.pairOverBle(lamp.qr, bridge, "ble-lamp")
            val session = paired.session
            assertEquals("ble-lamp", paired.device.name)
            assertTrue(paired.timings.all { it.ok })
            assertEquals("the session runs over Bluetooth", "bluetooth", session.remoteAddress())
            assertTrue("the bridge scanned", bridge.scans.get() >= 1)
            assertEquals(setOf("ble-lamp"), bridge.connected())

            // A read and a write over BLE, every frame through the Kotlin bridge.
            val before = bridge.writes.get() to bridge.notifications.get()
            assertFalse(session.readBool("1/on-off/on"))
            session.write("1/on-off/on", Value.Bool(true))
            assertTrue(session.readBool("1/on-off/on"))
            assertTrue("frames were written through the bridge", bridge.writes.get() > before.first)
            assertTrue("frames were notified through the bridge", bridge.notifications.get() > before.second)

            // The same session moves to QUIC without a handshake [BLE-26] [BLE-27] [BLE-28].
            val handoff = controller.handOff(session)
            assertEquals(lamp.address, handoff.address)
            assertEquals(lamp.address, session.remoteAddress())
            assertTrue(handoff.total >= handoff.quicConnect && handoff.total >= handoff.bleClose)
            // The BLE link closes gracefully [BLE-14], then the SDK disconnects the bridge.
            while (bridge.connected().isNotEmpty()) delay(10)
            val writesOnBle = bridge.writes.get()
            assertTrue("the lamp is still on, read over QUIC", session.readBool("1/on-off/on"))
            assertEquals("nothing more went over Bluetooth", writesOnBle, bridge.writes.get())
            assertEquals(listOf(lamp.address), controller.device("ble-lamp")!!.addresses)

            // And back to BLE, found by the operational advert only its home knows [BLE-21]
            // [BLE-29].
            val scansBefore = bridge.scans.get()
            controller.fallBackToBle(session, bridge)
            assertEquals("bluetooth", session.remoteAddress())
            assertTrue(bridge.scans.get() > scansBefore)
            session.write("1/on-off/on", Value.Bool(false))
            assertFalse(session.readBool("1/on-off/on"))
            session.disconnect()

            // A new session over BLE resumes with the ticket [BLE-29].
            val again = controller.connectOverBle("ble-lamp", bridge)
            assertEquals("bluetooth", again.remoteAddress())
            assertTrue("resumed with the ticket", again.resumed())
            assertFalse(again.readBool("1/on-off/on"))
            again.disconnect()
        }
    }

    @Test
    fun aWrongSetupCodeOverBleFailsClearly(): Unit = runBlocking {
        val e = assertThrows<OrbitException.WrongSetupCode> {
            withTimeout(PATIENCE_MS) { controller.pairOverBle(victim.wrongQr, bridge, "victim") }
        }
        assertEquals(Phase.PASE, e.phase)
        assertTrue(e.message!!, e.message!!.contains("setup code", ignoreCase = true) || e.message!!.contains("confirmation"))
        assertTrue(controller.device("victim") == null)
    }

    @Test
    fun bluetoothOffIsAClearErrorNotAHang(): Unit = runBlocking {
        val e = assertThrows<OrbitException.NotFound> {
            withTimeout(PATIENCE_MS) { controller.pairOverBle(victim.qr, BluetoothOffBridge(), "victim") }
        }
        assertTrue(e.message!!, e.message!!.contains("Bluetooth is turned off"))
    }
}
