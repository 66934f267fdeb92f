// Runs the JUnit suite and prints the closing line `N passed, N failed`.
package dev.orbit

import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener
import kotlin.system.exitProcess

fun main() {
    val core = JUnitCore()
    core.addListener(object : RunListener() {
        override fun testStarted(description: Description) = println("test ${description.methodName} ...")
        override fun testFailure(failure: Failure) {
            println("FAILED ${failure.description.methodName}: ${failure.message}")
            println(failure.trace.lineSequence().take(12).joinToString("\n"))
        }
    })
    val result = core.run(OrbitControllerTest::class.java, BleBridgeTest::class.java)
    val failed = result.failureCount
    val passed = result.runCount - failed
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0 && result.runCount > 0) 0 else 1)
}
