import JSON
import JSONRPC

/// Turns one NDJSON line into the reply JSON-RPC 2.0 asks for: parse errors,
/// invalid requests, unknown methods, notifications (never answered) and
/// batches (empty -> one error; only notifications -> nothing; else an array
/// of the replies).
package struct RPCDispatcher: Sendable {
    /// Limits on what one message may contain.
    package struct Limits: Sendable {
        /// Deepest nesting of arrays and objects.
        package var maximumDepth: Int
        /// Most requests in one batch.
        package var maximumBatchSize: Int

        package init(maximumDepth: Int = 64, maximumBatchSize: Int = 1000) {
            self.maximumDepth = maximumDepth
            self.maximumBatchSize = maximumBatchSize
        }
    }

    /// What to send back for a line.
    package enum Reply: Sendable {
        /// Nothing (a notification, a batch of notifications, a blank line).
        case none
        /// These bytes (one line, newline included), right away.
        case now([UInt8])
        /// One request's reply (one line) once its handler finishes; nil
        /// means nothing to send. `work` is what the handler spends its time on.
        case later(RPCMethodTable.Work, @Sendable () async -> [UInt8]?)
        /// A batch with asynchronous requests: `answer` writes its reply
        /// through the output it is given, in the batch's order and in pieces
        /// when it is large (see `RPCBatchOutput`). `work` is `.building` when
        /// one of its requests builds its reply.
        case batch(RPCMethodTable.Work, @Sendable (any RPCBatchOutput) async -> Void)
    }

    /// Called for handler failures that are our bug, not the client's
    /// (anything thrown that is not an `RPCError`).
    package typealias FailureLog = @Sendable (_ method: String, _ error: any Error) -> Void

    package let methods: RPCMethodTable
    package let limits: Limits
    private let logFailure: FailureLog

    package init(methods: RPCMethodTable, limits: Limits = Limits(), logFailure: @escaping FailureLog = { _, _ in }) {
        self.methods = methods
        self.limits = limits
        self.logFailure = logFailure
    }

    /// Handles one line (without its newline).
    package func handle(line: UnsafeRawBufferPointer, context: RPCRequestContext) -> Reply {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .none }
        let message: JSON
        do {
            message = try JSONParser.parse(line, options: .init(maxDepth: limits.maximumDepth))
        } catch {
            return .now(Self.encode(RPCResponse(id: .null, outcome: .failure(.parseError(error.description, offset: error.offset)))))
        }
        guard case .array(let elements) = message else {
            switch process(message, context: context) {
            case .none: return .none
            case .response(let response): return .now(Self.encode(response))
            case .deferred(let work, let body):
                return .later(work) {
                    guard let response = await body() else { return nil }
                    return Self.encode(response)
                }
            }
        }
        if elements.isEmpty {
            return .now(Self.encode(RPCResponse(id: .null, outcome: .failure(.invalidRequest("an empty batch")))))
        }
        if elements.count > limits.maximumBatchSize {
            let error = RPCError.invalidRequest("a batch of \(elements.count) requests; the limit is \(limits.maximumBatchSize)")
            return .now(Self.encode(RPCResponse(id: .null, outcome: .failure(error))))
        }
        let outcomes = elements.map { process($0, context: context) }
        var hasDeferred = false, builds = false
        for case .deferred(let work, _) in outcomes {
            hasDeferred = true
            if work == .building { builds = true }
        }
        if !hasDeferred {
            let responses = outcomes.compactMap { if case .response(let response) = $0 { response } else { nil } }
            return responses.isEmpty ? .none : .now(Self.encode(batch: responses))
        }
        return .batch(builds ? .building : .waiting) { output in await Self.answer(batch: outcomes, to: output) }
    }

    // MARK: Private

    private enum Outcome: Sendable {
        case none
        case response(RPCResponse)
        case deferred(RPCMethodTable.Work, @Sendable () async -> RPCResponse?)
    }

    /// Writes a batch's replies in its order, a piece whenever
    /// `output.pieceSize` bytes are gathered. Waiting requests all start at
    /// once, as they would on lines of their own (their replies are small);
    /// building ones run one at a time, each once the client has read what
    /// was written before it, and not at all once the connection is closed
    /// (nobody would read their replies). A batch of 1,000 lists thus holds
    /// about one list and one piece at a time, not 1,000.
    private static func answer(batch outcomes: [Outcome], to output: any RPCBatchOutput) async {
        var waiting: [Int: Task<RPCResponse?, Never>] = [:]
        for (index, outcome) in outcomes.enumerated() {
            if case .deferred(.waiting, let body) = outcome { waiting[index] = Task { await body() } }
        }
        var piece: [UInt8] = []
        var isOpen = true
        var started = false
        for (index, outcome) in outcomes.enumerated() {
            let response: RPCResponse?
            switch outcome {
            case .none:
                response = nil
            case .response(let immediate):
                response = immediate
            case .deferred(.waiting, _):
                response = await waiting[index]?.value
            case .deferred(.building, let body):
                guard isOpen else { continue }
                await output.waitForRoom()
                response = await body()
            }
            guard let response else { continue }
            piece.append(started ? UInt8(ascii: ",") : UInt8(ascii: "["))
            started = true
            response.write(to: &piece)
            if piece.count > output.pieceSize {
                isOpen = await output.write(piece, last: false)
                piece = []
            }
        }
        guard started else { return }  // only notifications
        piece.append(UInt8(ascii: "]"))
        piece.append(0x0A)
        _ = await output.write(piece, last: true)
    }

    private func process(_ message: JSON, context: RPCRequestContext) -> Outcome {
        let request: RPCRequest
        switch RPCRequest.validate(message) {
        case .success(let valid): request = valid
        case .failure(let invalid): return .response(RPCResponse(id: invalid.replyID, outcome: .failure(invalid.error)))
        }
        let requestContext = RPCRequestContext(
            connectionID: context.connectionID, peer: context.peer,
            isNotification: request.isNotification, session: context.session
        )
        guard let handler = methods.handlers[request.method] else {
            guard let id = request.id else { return .none }
            let error = RPCError.methodNotFound(request.method, suggestion: methods.suggestion(for: request.method))
            return .response(RPCResponse(id: id, outcome: .failure(error)))
        }
        switch handler {
        case .immediate(let body):
            let outcome = run(request.method) { try body(request.params, requestContext) }
            guard let id = request.id else { return .none }
            return .response(RPCResponse(id: id, outcome: outcome))
        case .deferred(let work, let body):
            let logFailure = self.logFailure
            return .deferred(work) {
                let outcome: Result<JSON, RPCError>
                do {
                    outcome = .success(try await body(request.params, requestContext))
                } catch let error as RPCError {
                    outcome = .failure(error)
                } catch {
                    logFailure(request.method, error)
                    outcome = .failure(.internalError("\(request.method) failed: \(error)"))
                }
                guard let id = request.id else { return nil }
                return RPCResponse(id: id, outcome: outcome)
            }
        }
    }

    private func run(_ method: String, _ body: () throws -> JSON) -> Result<JSON, RPCError> {
        do {
            return .success(try body())
        } catch let error as RPCError {
            return .failure(error)
        } catch {
            logFailure(method, error)
            return .failure(.internalError("\(method) failed: \(error)"))
        }
    }

    static func encode(_ response: RPCResponse) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(128)
        response.write(to: &buffer)
        buffer.append(0x0A)
        return buffer
    }

    static func encode(batch responses: [RPCResponse]) -> [UInt8] {
        var buffer: [UInt8] = [UInt8(ascii: "[")]
        for (index, response) in responses.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            response.write(to: &buffer)
        }
        buffer.append(UInt8(ascii: "]"))
        buffer.append(0x0A)
        return buffer
    }
}
