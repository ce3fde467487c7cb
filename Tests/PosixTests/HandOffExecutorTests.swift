import Posix
import Synchronization
import Testing
import TestSupport

/// Where a task that prefers `HandOffExecutor` runs: inline on a thread that
/// opened a hand-off (once per opening), on the pool everywhere else. The
/// waiting is done off the pool (`offPool`), which the tasks need; the
/// waits are long because a job sent to the pool queues behind the test
/// bodies of the whole suite (two threads here), seconds at its start.
@Suite struct HandOffExecutorTests {
    /// Where each step of a task ran (thread ids), in order.
    final class Trace: Sendable {
        static let poolWait = TestTime.scaled(.seconds(60))
        let steps = ThreadCondition<[UInt64]>([])
        func record() { steps.update { $0.append(OSThread.currentID) } }
        var count: Int { steps.read { $0.count } }
        func wait(for count: Int) throws -> [UInt64] {
            guard steps.wait(timeout: Self.poolWait, until: { $0.count >= count }) else {
                throw TestFailure("the task did not run \(count) step(s) within \(Self.poolWait)")
            }
            return steps.read { $0 }
        }
    }

    /// Runs `body` on a thread of its own, joins it, and returns its id and
    /// what it returned.
    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) throws -> (thread: UInt64, value: T) {
        let outcome = ThreadCondition<(UInt64, T)?>(nil)
        let thread = try OSThread.spawn(name: "hand-off-test") {
            let value = body()
            outcome.update { $0 = (OSThread.currentID, value) }
        }
        thread.join()
        return outcome.read { $0! }
    }

    @Test func aTaskStartedInAHandOffRunsAtOnceOnThatThread() async throws {
        let trace = Trace()
        let (starter, ranBeforeReturning) = try await offPool {
            try Self.onThread {
                HandOffExecutor.runningHandedOff {
                    _ = Task(executorPreference: HandOffExecutor.shared) { trace.record() }
                }
                return trace.count == 1
            }
        }
        #expect(ranBeforeReturning)
        #expect(try trace.wait(for: 1) == [starter])
    }

    @Test func withoutAHandOffATaskRunsOnThePool() async throws {
        let trace = Trace()
        let (starter, steps) = try await offPool {
            let starter = try Self.onThread { _ = Task(executorPreference: HandOffExecutor.shared) { trace.record() } }.thread
            return (starter, try trace.wait(for: 1))
        }
        #expect(steps.count == 1 && steps[0] != starter)
    }

    /// One opening runs one job: a second task made runnable in the same
    /// hand-off goes to the pool.
    @Test func aHandOffRunsOnlyTheFirstJob() async throws {
        let first = Trace(), second = Trace()
        let (starter, firstSteps, secondSteps) = try await offPool {
            let starter = try Self.onThread {
                HandOffExecutor.runningHandedOff {
                    _ = Task(executorPreference: HandOffExecutor.shared) { first.record() }
                    _ = Task(executorPreference: HandOffExecutor.shared) { second.record() }
                }
            }.thread
            return (starter, try first.wait(for: 1), try second.wait(for: 1))
        }
        #expect(firstSteps == [starter])
        #expect(secondSteps.count == 1 && secondSteps[0] != starter)
    }

    /// A continuation resumed in a hand-off continues its task there (the
    /// store's thread delivers a result and the reply goes out from it),
    /// until the task moves to the pool. The task starts in a hand-off on
    /// the same thread, so it has surely suspended before the resume (a
    /// resume that comes first just lets the task go on where it is).
    @Test func aContinuationResumedInAHandOffContinuesOnThatThread() async throws {
        let trace = Trace()
        let (resumer, continuedBeforeReturning, steps) = try await offPool {
            let (resumer, continued) = try Self.onThread {
                let waiting = ThreadCondition<CheckedContinuation<Void, Never>?>(nil)
                HandOffExecutor.runningHandedOff {
                    _ = Task(executorPreference: HandOffExecutor.shared) {
                        await withCheckedContinuation { continuation in waiting.update { $0 = continuation } }
                        trace.record()
                        await HandOffExecutor.continueOnPool()
                        trace.record()
                    }
                }
                guard let continuation = waiting.read({ $0 }), trace.count == 0 else { return false }
                HandOffExecutor.runningHandedOff { continuation.resume() }
                return trace.count >= 1
            }
            return (resumer, continued, try trace.wait(for: 2))
        }
        #expect(continuedBeforeReturning)
        #expect(steps[0] == resumer)
        #expect(steps[1] != resumer, "continueOnPool left the thread it was handed to")
    }

    /// A hand-off opened inside another gives the outer one back as it was:
    /// still open when nothing took it.
    @Test func anInnerHandOffRestoresTheOuterOne() async throws {
        let outer = Trace(), afterIt = Trace()
        let (starter, outerSteps, afterSteps) = try await offPool {
            let starter = try Self.onThread {
                HandOffExecutor.runningHandedOff {
                    HandOffExecutor.runningHandedOff {}
                    _ = Task(executorPreference: HandOffExecutor.shared) { outer.record() }
                    _ = Task(executorPreference: HandOffExecutor.shared) { afterIt.record() }
                }
            }.thread
            return (starter, try outer.wait(for: 1), try afterIt.wait(for: 1))
        }
        #expect(outerSteps == [starter], "the inner hand-off closed the outer one")
        #expect(afterSteps.count == 1 && afterSteps[0] != starter)
    }
}
