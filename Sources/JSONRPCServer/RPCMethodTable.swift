import JSON
import JSONRPC

/// The methods a server answers, by name, with their handlers. Built before
/// the server starts and immutable afterwards.
///
/// Two kinds of handler:
/// - synchronous ones run on the connection's event-loop thread and answer at
///   once, with no thread hop (the fast path: `daemon.status`). They must not
///   block or take long: no file or network I/O.
/// - asynchronous ones run in a task; the reply goes out when they finish,
///   possibly after replies to later requests. What they spend their time
///   on (`Work`) sets how many one connection may run at once. One that
///   touches files does so on a thread of its own (`onOwnThread`), never on
///   the task pool. The task prefers `HandOffExecutor`: it starts on the
///   event loop that read the request, up to its first suspension, and
///   continues where it is resumed from a hand-off (the job store's thread
///   after committing it alone, with nothing waiting), so a reply built
///   from the store goes out from there without a hop to the pool. So the same rule holds: no blocking, and a
///   long reply is built after `HandOffExecutor.continueOnPool()`.
///
/// `placement(of:)` says which kind a method got, so that a test can hold a
/// server's table to this rule.
package struct RPCMethodTable: Sendable {
    /// What an asynchronous handler spends its time on, which sets how many
    /// of its requests one connection may have running at once.
    package enum Work: Sendable {
        /// It builds its reply from what it gathers (a list), so the reply
        /// may be large: a connection runs only a few such requests at once
        /// (`RPCServer.Configuration.maximumBuildingPerConnection`), and
        /// starts one only while the replies it queued are read.
        case building
        /// It mostly waits (for a job to finish, a commit, a timer, the
        /// network) and answers with a small reply (one job, an
        /// acknowledgement): a connection may have many in flight
        /// (`RPCServer.Configuration.maximumInFlightPerConnection`).
        case waiting
    }

    /// Where a method's handler runs.
    package enum Placement: Sendable, Hashable {
        /// On the connection's event-loop thread (a synchronous handler).
        case eventLoop
        /// In a task, off the event loop (an asynchronous handler).
        case task(Work)
    }

    enum Handler: Sendable {
        case immediate(@Sendable (JSON?, RPCRequestContext) throws -> JSON)
        case deferred(Work, @Sendable (JSON?, RPCRequestContext) async throws -> JSON)
    }

    private(set) var handlers: [String: Handler] = [:]

    package init() {}

    /// The registered method names, sorted.
    package var methodNames: [String] { handlers.keys.sorted() }

    /// Where the handler of `method` runs; nil when none is registered.
    package func placement(of method: String) -> Placement? {
        switch handlers[method] {
        case .immediate: .eventLoop
        case .deferred(let work, _): .task(work)
        case nil: nil
        }
    }

    /// Registers a synchronous handler for `method`.
    ///
    /// - Important: the handler runs on an event-loop thread: it must not
    ///   block (no file or network I/O, no waiting on locks held for long).
    package mutating func register<Method: RPCMethod>(
        _ method: Method.Type,
        _ handler: @escaping @Sendable (Method.Parameters, RPCRequestContext) throws -> Method.Result
    ) {
        precondition(handlers[Method.name] == nil, "method \(Method.name) registered twice")
        handlers[Method.name] = .immediate { params, context in
            try handler(try Method.Parameters(params: params), context).result
        }
    }

    /// Registers an asynchronous handler for `method`.
    ///
    /// - Parameter work: what the handler spends its time on; `.building`
    ///   unless it mostly waits and its reply is small.
    package mutating func register<Method: RPCMethod>(
        _ method: Method.Type,
        _ work: Work = .building,
        async handler: @escaping @Sendable (Method.Parameters, RPCRequestContext) async throws -> Method.Result
    ) {
        precondition(handlers[Method.name] == nil, "method \(Method.name) registered twice")
        handlers[Method.name] = .deferred(work) { params, context in
            try await handler(try Method.Parameters(params: params), context).result
        }
    }

    /// The registered name closest to `name` (a likely typo), if any is close.
    func suggestion(for name: String) -> String? {
        var best: (name: String, distance: Int)?
        for candidate in handlers.keys {
            let distance = editDistance(name, candidate)
            if distance <= max(2, candidate.count / 4), distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }
}

/// Levenshtein distance over Unicode scalars.
func editDistance(_ a: String, _ b: String) -> Int {
    let left = Array(a.unicodeScalars)
    let right = Array(b.unicodeScalars)
    if left.isEmpty { return right.count }
    if right.isEmpty { return left.count }
    var previous = Array(0...right.count)
    var current = [Int](repeating: 0, count: right.count + 1)
    for i in 1...left.count {
        current[0] = i
        for j in 1...right.count {
            let cost = left[i - 1] == right[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[right.count]
}
