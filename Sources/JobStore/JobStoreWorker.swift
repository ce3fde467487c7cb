import CSQLite
import Posix

/// The job store's own thread. Every operation, read or write, runs there;
/// operations that arrive while a commit is under way are run together in the
/// next transaction and made durable by one commit (group commit): 16
/// concurrent submits cost one fsync, not 16. Each operation runs in a
/// savepoint, so one that fails leaves the others in its batch intact. A
/// caller's result is delivered only after the commit that holds it.
///
/// A commit is synced (fsync of the write-ahead log) unless every
/// operation in it asked for none (`synced: false`): such a commit
/// survives the daemon's crash at once, since its pages are in the
/// kernel's hands, and a power loss from the next synced commit on, which
/// syncs the log up to itself.
public final class JobStoreWorker: Sendable {
    /// An operation: `run` executes on the worker thread inside the batch's
    /// transaction and returns what to do once the commit succeeded (nil) or
    /// failed; `fail` reports a batch that could not even begin.
    private struct Operation: Sendable {
        let run: @Sendable (JobStoreBox) -> @Sendable (JobStoreError?) -> Void
        let fail: @Sendable (JobStoreError) -> Void
        /// Whether its commit must be synced before it is told.
        let synced: Bool
    }

    private struct Queue {
        var operations: [Operation] = []
        var closed = false
    }

    private let queue = ThreadCondition<Queue>(Queue())
    private let thread: ThreadBox
    /// The largest batch: bounds how long one commit keeps callers waiting.
    private let maximumBatch = 512
    /// Batches committed so far, for tests and benchmarks.
    private let batchCounter = ThreadCondition<Int>(0)

    /// Opens the database (creating and migrating it) and starts the thread.
    ///
    /// - Parameters:
    ///   - verify: check an existing database first (see `JobStore.init`).
    ///   - log: told when the database file was found deleted under
    ///     the store and written anew (or could not be).
    public init(path: String, verify: Bool = false, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        let store = JobStoreBox(try JobStore(path: path, verify: verify))
        thread = ThreadBox()
        let queue = self.queue
        let maximumBatch = self.maximumBatch
        let batchCounter = self.batchCounter
        thread.value = try OSThread.spawn(name: "vc-jobstore") {
            Self.run(store: store, queue: queue, maximumBatch: maximumBatch, batches: batchCounter, log: log)
        }
    }

    /// Runs `body` on the store's thread in a transaction and returns its
    /// result once committed; with `synced` false, once committed without
    /// waiting for the disk (see the type's notes: for a change a power
    /// loss may undo, such as a job's start).
    public func perform<T: Sendable>(synced: Bool = true, _ body: @escaping @Sendable (JobStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(body, synced: synced) { continuation.resume(with: $0) }
        }
    }

    /// The same, blocking the calling thread (never call it on the
    /// cooperative pool): for start-up and tests.
    public func performBlocking<T: Sendable>(_ body: @escaping @Sendable (JobStore) throws -> T) throws -> T {
        let outcome = ThreadCondition<Result<T, any Error>?>(nil)
        enqueue(body) { result in outcome.update { $0 = result } }
        outcome.wait { $0 != nil }
        return try outcome.read { $0! }.get()
    }

    /// Transactions committed so far.
    public var batchesCommitted: Int { batchCounter.read { $0 } }

    /// Finishes the operations already queued, refuses new ones, and stops
    /// the thread.
    public func close() {
        queue.update { $0.closed = true }
        thread.value?.join()
        thread.value = nil
    }

    deinit {
        close()
    }

    // MARK: Private

    private func enqueue<T: Sendable>(
        _ body: @escaping @Sendable (JobStore) throws -> T, synced: Bool = true,
        deliver: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        let operation = Operation(
            run: { box in
                let result: Result<T, any Error>
                do {
                    result = .success(try box.store.connection.savepoint { try body(box.store) })
                } catch let error as SQLiteError {
                    result = .failure(JobStoreError.storage(error))
                } catch {
                    result = .failure(error)
                }
                return { commitFailure in deliver(commitFailure.map { .failure($0) } ?? result) }
            },
            fail: { deliver(.failure($0)) },
            synced: synced
        )
        let accepted = queue.update { state -> Bool in
            guard !state.closed else { return false }
            state.operations.append(operation)
            return true
        }
        if !accepted { deliver(.failure(JobStoreError.closed)) }
    }

    private static func run(
        store: JobStoreBox, queue: ThreadCondition<Queue>, maximumBatch: Int, batches: ThreadCondition<Int>, log: @Sendable (String) -> Void
    ) {
        // As the connection opens (`SQLiteConnection.init`).
        var syncing = true
        while true {
            queue.wait { !$0.operations.isEmpty || $0.closed }
            let batch = queue.update { state -> [Operation] in
                let taken = Array(state.operations.prefix(maximumBatch))
                state.operations.removeFirst(taken.count)
                return taken
            }
            if batch.isEmpty { return }  // closed and drained
            if !store.store.isStillOnDisk {
                // Deleted under us (one stat per commit finds it): what this
                // connection holds goes to a new file, before anything else
                // is acknowledged into the old one.
                do {
                    store.store = try store.store.restoredToDisk()
                    syncing = true  // a new connection syncs, as it opens
                    log("the job database \(store.store.connection.path) was deleted while the daemon ran; written again with every job it held")
                } catch {
                    log("the job database \(store.store.connection.path) was deleted and cannot be written again (\(error)): jobs are refused until the folder is usable")
                    let failure = (error as? SQLiteError) ?? SQLiteError(code: SQLITE_CANTOPEN, message: "\(error)", context: "write the job database again")
                    for operation in batch { operation.fail(.storage(failure)) }
                    continue
                }
            }
            let connection = store.store.connection
            do {
                // Set outside a transaction (SQLite refuses it inside one).
                let synced = batch.contains { $0.synced }
                if synced != syncing {
                    // Prepared anew: SQLite applies this pragma as it prepares it.
                    try connection.execute(synced ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                    syncing = synced
                }
                try connection.statement("BEGIN IMMEDIATE").run()
            } catch {
                for operation in batch { operation.fail(.storage(error)) }
                continue
            }
            let completions = batch.map { $0.run(store) }
            if store.store.promptsBehind >= JobStore.promptIndexBatch {
                do {
                    try connection.savepoint { try store.store.indexNewPrompts() }
                } catch {
                    // Searches catch up themselves; the jobs are what matters.
                    log("the prompt index could not catch up (\(error)); history searches will try again")
                }
            }
            var failure: JobStoreError?
            do {
                try connection.statement("COMMIT").run()
            } catch {
                failure = .storage(error)
                connection.rollBack()
            }
            batches.update { $0 += 1 }
            if completions.count == 1, queue.read({ $0.operations.isEmpty }) {
                // A lone operation with nothing behind it (one client's): its
                // request's task runs on here and sends its reply
                // (`HandOffExecutor`), a hop fewer. No lock is held and
                // nothing waits on this thread.
                HandOffExecutor.runningHandedOff { completions[0](failure) }
            } else {
                // Replies are built on the pool while this thread commits
                // what waits: built here, they held the commits up.
                for complete in completions { complete(failure) }
            }
        }
    }
}

/// The store, handed to the worker thread only.
private final class JobStoreBox: @unchecked Sendable {
    /// Replaced (on the worker thread only) when the file was deleted and restored.
    var store: JobStore
    init(_ store: JobStore) { self.store = store }
}

/// The worker's thread handle, set once after spawning.
private final class ThreadBox: @unchecked Sendable {
    var value: OSThread?
}
