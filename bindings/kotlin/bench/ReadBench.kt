// The time of one FFI call: a read of one attribute through the Kotlin bindings against the
// same read from Rust through the SDK (the read_bench example), in one run, each against
// its own reference lamp on 127.0.0.1. Prints the medians and their ratio.
package dev.orbit

import kotlinx.coroutines.runBlocking

fun main(args: Array<String>) = runBlocking {
    val rounds = args.getOrNull(0)?.toInt() ?: 300
    val testbed = Testbed(System.getProperty("orbit.testbed"))
    val kotlinLamp = testbed.start("lamp", "bench-kotlin")
    val rustLamp = testbed.start("lamp", "bench-rust")

    val controller = OrbitController.open(memoryStore())
    val session = controller.pair(kotlinLamp.qr, kotlinLamp.address, "lamp").session
    val times = mutableListOf<Double>()
    for (i in 0 until rounds + rounds / 5) {
        val start = System.nanoTime()
        session.readAttribute("1/on-off/on")
        if (i >= rounds / 5) times += (System.nanoTime() - start) / 1e3
    }
    times.sort()
    val kotlinMedian = times[times.size / 2]
    controller.shutdown()

    val rust = ProcessBuilder(System.getProperty("orbit.rustbench"), rustLamp.qr, rustLamp.address, rounds.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val line = rust.inputStream.bufferedReader().readLines().first { it.startsWith("rust median_us=") }
    check(rust.waitFor() == 0) { "read_bench failed" }
    val rustMedian = line.substringAfter('=').toDouble()
    testbed.close()

    println("read of one attribute, median of $rounds:")
    println("  Rust (SDK directly)     %8.1f us".format(rustMedian))
    println("  Kotlin (uniffi + JNA)   %8.1f us".format(kotlinMedian))
    println("  ratio Kotlin / Rust     %8.2f".format(kotlinMedian / rustMedian))
}
