/// Why `onOwnThread(name:within:_:)` stopped waiting before its work ended.
public enum AbandonedWork: Error, Sendable, Hashable, CustomStringConvertible {
    /// The work did not finish in time; it goes on on its thread, and what
    /// it returns is dropped.
    case timedOut(Duration)
    /// The waiting task was cancelled (the work goes on as above).
    case cancelled
    /// No thread could be started (nothing ran).
    case noThread(SystemError)

    public var description: String {
        switch self {
        case .timedOut(let limit): "did not finish within \(limit.seconds) s"
        case .cancelled: "cancelled"
        case .noThread(let error): "cannot start a thread: \(error)"
        }
    }
}

/// Runs blocking work that may never return (a read on a hung network file
/// system) on a thread of its own, and awaits it for at most `timeout`:
/// then, or as soon as the waiting task is cancelled, the wait ends and the
/// thread is abandoned, to end whenever its call does. The work must hold
/// nothing that others wait for (locks, slots): only what it alone owns,
/// such as the descriptor it opened.
///
/// - Throws: `AbandonedWork`, never an error of the work's own (return a
///   `Result` for those).
public func onOwnThread<T: Sendable>(
    name: String, within timeout: Duration, _ body: @escaping @Sendable () -> T
) async throws(AbandonedWork) -> T {
    if Task.isCancelled { throw .cancelled }
    let race = WorkRace<T>()
    let outcome = await withTaskCancellationHandler {
        await withCheckedContinuation { continuation in
            race.wait(continuation)
            do throws(SystemError) {
                let thread = try OSThread.spawn(name: name) { race.finish(.success(body())) }
                thread.detach()
            } catch {
                race.finish(.failure(.noThread(error)))
                return
            }
            race.startTimer(timeout)
        }
    } onCancel: {
        race.finish(.failure(.cancelled))
    }
    return try outcome.get()
}

/// The first of the work, the timer and a cancellation to end the wait
/// wins; the timer is stopped when it loses.
private final class WorkRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result<T, AbandonedWork>, Never>?
        /// An outcome that came before the continuation (a cancellation).
        var early: Result<T, AbandonedWork>?
        var timer: Task<Void, Never>?
        var done = false
    }

    private let state = Lock(State())

    func wait(_ continuation: CheckedContinuation<Result<T, AbandonedWork>, Never>) {
        let early = state.withLock { state -> Result<T, AbandonedWork>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    func startTimer(_ timeout: Duration) {
        let timer = Task { [self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            finish(.failure(.timedOut(timeout)))
        }
        let stop = state.withLock { state -> Bool in
            if state.done { return true }
            state.timer = timer
            return false
        }
        if stop { timer.cancel() }
    }

    func finish(_ outcome: Result<T, AbandonedWork>) {
        let (continuation, timer) = state.withLock { state -> (CheckedContinuation<Result<T, AbandonedWork>, Never>?, Task<Void, Never>?) in
            guard !state.done else { return (nil, nil) }
            state.done = true
            guard let continuation = state.continuation else {
                state.early = outcome
                return (nil, nil)
            }
            state.continuation = nil
            defer { state.timer = nil }
            return (continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(returning: outcome)
    }
}

/// Threads started by `run` whose work has not returned, at most `limit`
/// at once, those abandoned after their wait gave up included: past that no
/// new work starts, so that a file system that hangs every call does not
/// pile up a thread per try.
public final class UnfinishedThreads: Sendable {
    public let limit: Int
    private let count = Lock(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Threads whose work has not returned (under way, or abandoned).
    public var current: Int { count.withLock { $0 } }

    /// `body` as `onOwnThread(name:within:_:)` runs it; nil without starting
    /// anything when `limit` threads are unfinished.
    public func run<T: Sendable>(
        name: String, within timeout: Duration, _ body: @escaping @Sendable () -> T
    ) async throws(AbandonedWork) -> T? {
        let started = count.withLock { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard started else { return nil }
        let count = self.count
        do {
            return try await onOwnThread(name: name, within: timeout) {
                defer { count.withLock { $0 -= 1 } }
                return body()
            }
        } catch {
            if case .noThread = error { count.withLock { $0 -= 1 } }
            throw error
        }
    }
}
