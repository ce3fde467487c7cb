import Posix
import Synchronization
import Testing
import TestSupport

@Suite struct ThreadTests {
    @Test func spawnedThreadRunsAndJoins() throws {
        let value = Atomic<Int>(0)
        let thread = try OSThread.spawn(name: "test") { value.store(42, ordering: .sequentiallyConsistent) }
        thread.join()
        #expect(value.load(ordering: .sequentiallyConsistent) == 42)
        #expect(thread.name == "test")
    }

    @Test func conditionWaitsForAnotherThread() throws {
        let condition = ThreadCondition(0)
        let thread = try OSThread.spawn(name: "setter") { condition.update { $0 = 5 } }
        #expect(condition.wait(timeout: TestTime.scaled(.seconds(10))) { $0 == 5 })
        thread.join()
    }

    @Test func conditionWaitTimesOutWhenNothingChanges() {
        let condition = ThreadCondition(false)
        let clock = ContinuousClock()
        var result = true
        let elapsed = clock.measure { result = condition.wait(timeout: .milliseconds(30)) { $0 } }
        #expect(result == false)
        #expect(elapsed >= .milliseconds(25))
    }

    @Test func roundedUpMilliseconds() {
        #expect(Duration.milliseconds(5).roundedUpMilliseconds == 5)
        #expect(Duration.microseconds(1).roundedUpMilliseconds == 1)
        #expect(Duration.zero.roundedUpMilliseconds == 0)
        #expect(Duration.seconds(2).roundedUpMilliseconds == 2000)
        #expect(Duration.milliseconds(1500).seconds == 1.5)
    }
}
