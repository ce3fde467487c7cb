import Posix

/// Runs blocking work (socket reads, waitpid) on a thread of its own and
/// awaits its result, so tests never block Swift's cooperative pool (two
/// threads on these machines: two blocked tests would stall every task).
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        do {
            let thread = try OSThread.spawn(name: "test-blocking", stackSize: 4 << 20) {
                continuation.resume(with: Result { try body() })
            }
            thread.detach()
        } catch {
            continuation.resume(throwing: error)
        }
    }
}
