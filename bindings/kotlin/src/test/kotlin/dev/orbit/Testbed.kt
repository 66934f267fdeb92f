// The reference devices of the tests: the orbit-testbed binary, driven over its stdin.
package dev.orbit

import java.io.BufferedReader
import java.io.Closeable
import java.io.InputStreamReader
import java.io.OutputStreamWriter

/** A device the testbed started: its address, setup codes and DNS-SD record. */
data class TestDevice(val name: String, val fields: Map<String, String>) {
    val address get() = fields.getValue("address")
    val qr get() = fields.getValue("qr")
    val manual get() = fields.getValue("manual")
    val wrongQr get() = fields.getValue("wrong_qr")

    /** Where a `ble-lamp`'s simulated Bluetooth side is reached (bindings/testbed/src/air.rs). */
    val ble: java.net.InetSocketAddress
        get() = fields.getValue("ble").let { java.net.InetSocketAddress(it.substringBeforeLast(':'), it.substringAfterLast(':').toInt()) }

    /** The advertisement the device would send, as a platform browser resolves it. */
    fun serviceRecord(): ServiceRecord = ServiceRecord(
        instance = fields.getValue("instance"),
        port = fields.getValue("port").toUShort(),
        addresses = listOf(address.substringBeforeLast(':')),
        txt = fields.getValue("txt").split(';').map {
            TxtEntry(it.substringBefore('='), it.substringAfter('=').toByteArray())
        },
    )
}

class Testbed(binary: String) : Closeable {
    private val process = ProcessBuilder(binary).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    private val input = OutputStreamWriter(process.outputStream)
    private val output = BufferedReader(InputStreamReader(process.inputStream))

    private fun command(line: String): String {
        input.write(line + "\n")
        input.flush()
        val answer = output.readLine() ?: error("the testbed exited")
        check(!answer.startsWith("error")) { "testbed: $answer" }
        return answer
    }

    fun start(kind: String, name: String): TestDevice {
        val words = command("start $kind $name").split(' ')
        return TestDevice(name, words.drop(2).associate { it.substringBefore('=') to it.substringAfter('=') })
    }

    fun stop(name: String) {
        command("stop $name")
    }

    override fun close() {
        runCatching { command("quit") }
        process.waitFor()
    }
}

/** A store in memory implemented in Kotlin, as an app implements one over the Keystore. */
class MapStore : SecureStore {
    private val records = java.util.concurrent.ConcurrentHashMap<String, ByteArray>()
    var saves = 0
        private set

    override fun load(key: String): ByteArray? = records[key]?.copyOf()
    override fun save(key: String, bytes: ByteArray) {
        saves++
        records[key] = bytes.copyOf()
    }
    override fun remove(key: String): Boolean = records.remove(key) != null
    override fun keys(): List<String> = records.keys.sorted()
}

/** A platform browser that "finds" the testbed's devices, as NsdManager would. */
class FakeBrowser(private val records: () -> List<ServiceRecord>) : ServiceBrowser {
    var calls = 0
        private set
    var lastServiceType: String? = null
        private set

    override fun browse(serviceType: String, timeout: java.time.Duration): List<ServiceRecord> {
        calls++
        lastServiceType = serviceType
        return records()
    }
}
