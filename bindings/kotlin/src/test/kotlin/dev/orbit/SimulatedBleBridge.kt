// A Bluetooth bridge as an Android app writes one over BluetoothLeScanner and BluetoothGatt,
// except that its "radio" is the testbed's air: a socket per connection to a simulated BLE
// link (bindings/testbed/src/air.rs). Like a GATT callback, a thread per connection hands
// each notification and the disconnection to the SDK's BleInbound; writes go out in order.
package dev.orbit

import java.io.DataInputStream
import java.io.DataOutputStream
import java.io.EOFException
import java.io.IOException
import java.net.InetSocketAddress
import java.net.Socket
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread

class SimulatedBleBridge(private val inRange: () -> Map<String, InetSocketAddress>) : BleBridge {
    private class Connection(val socket: Socket) {
        val output = DataOutputStream(socket.getOutputStream().buffered())
    }

    private val connections = ConcurrentHashMap<String, Connection>()
    val scans = AtomicInteger()
    val writes = AtomicInteger()
    val notifications = AtomicInteger()

    /** Peripherals connected now. */
    fun connected(): Set<String> = connections.keys.toSet()

    private fun open(peripheral: String, op: Char): Socket {
        val at = inRange()[peripheral] ?: throw BleFailure.Failed("no peripheral $peripheral in range")
        return try {
            Socket(at.address, at.port).apply {
                tcpNoDelay = true
                getOutputStream().write(op.code)
            }
        } catch (e: IOException) {
            throw BleFailure.Failed("GATT connection to $peripheral failed: ${e.message}")
        }
    }

    // ScanCallback.onScanResult: every device in range is heard once per scan, on the
    // scanner's own thread.
    override fun startScan(scan: BleScan) {
        scans.incrementAndGet()
        thread(name = "ble-scan", isDaemon = true) {
            for (peripheral in inRange().keys) {
                val data = runCatching {
                    open(peripheral, 'A').use { s ->
                        val input = DataInputStream(s.getInputStream())
                        ByteArray(input.readUnsignedShort()).also { input.readFully(it) }
                    }
                }.getOrNull() ?: continue
                scan.onSighting(BleSighting(peripheral, data, (-50).toShort()))
            }
        }
    }

    override fun stopScan() {}

    // connectGatt + requestMtu(517) + discoverServices + enable notifications, then the
    // callback thread.
    override fun connect(peripheral: String, inbound: BleInbound): UShort {
        val socket = open(peripheral, 'C')
        val input = DataInputStream(socket.getInputStream().buffered())
        val mtu = try {
            input.readUnsignedShort()
        } catch (e: IOException) {
            socket.close()
            throw BleFailure.Failed("MTU exchange with $peripheral failed: ${e.message}")
        }
        val connection = Connection(socket)
        connections[peripheral] = connection
        thread(name = "gatt-callback-$peripheral", isDaemon = true) {
            try {
                while (true) {
                    val value = ByteArray(input.readUnsignedShort())
                    input.readFully(value)
                    notifications.incrementAndGet()
                    inbound.onNotification(value)
                }
            } catch (_: EOFException) {
            } catch (_: IOException) {
            } finally {
                connections.remove(peripheral, connection)
                socket.close()
                inbound.onDisconnected()
            }
        }
        return mtu.toUShort()
    }

    // writeCharacteristic(..., WRITE_TYPE_NO_RESPONSE)
    override fun write(peripheral: String, value: ByteArray) {
        val c = connections[peripheral] ?: throw BleFailure.Failed("$peripheral is not connected")
        try {
            synchronized(c) {
                c.output.writeShort(value.size)
                c.output.write(value)
                c.output.flush()
            }
        } catch (e: IOException) {
            throw BleFailure.Failed("write to $peripheral failed: ${e.message}")
        }
        writes.incrementAndGet()
    }

    override fun disconnect(peripheral: String) {
        connections.remove(peripheral)?.socket?.close()
    }
}

/** A bridge whose adapter is off, as an app finds Bluetooth disabled. */
class BluetoothOffBridge : BleBridge {
    override fun startScan(scan: BleScan) = throw BleFailure.Failed("Bluetooth is turned off")
    override fun stopScan() {}
    override fun connect(peripheral: String, inbound: BleInbound): UShort =
        throw BleFailure.Failed("Bluetooth is turned off")
    override fun write(peripheral: String, value: ByteArray) = throw BleFailure.Failed("Bluetooth is turned off")
    override fun disconnect(peripheral: String) {}
}
