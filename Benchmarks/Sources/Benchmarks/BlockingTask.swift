import Posix

/// Runs async work from a plain thread (the benchmark's main thread, never a
/// cooperative pool thread) and waits for its result.
enum BlockingTask {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = ThreadCondition<Result<T, any Error>?>(nil)
        Task {
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            outcome.update { $0 = result }
        }
        outcome.wait { $0 != nil }
        return try outcome.read { $0! }.get()
    }
}
