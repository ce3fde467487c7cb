import JSON
import JSONRPC

/// Turns one NDJSON line into the reply JSON-RPC 2.0 asks for: parse errors,
/// invalid requests, unknown methods, notifications (never answered) and
/// batches (empty -> one error; only notifications -> nothing; else an array
/// of the replies).
public struct RPCDispatcher: Sendable {
    /// Limits on what one message may contain.
    public struct Limits: Sendable {
        /// Deepest nesting of arrays and objects.
        public var maximumDepth: Int
        /// Most requests in one batch.
        public var maximumBatchSize: Int

        public init(maximumDepth: Int = 64, maximumBatchSize: Int = 1000) {
            self.maximumDepth = maximumDepth
            self.maximumBatchSize = maximumBatchSize
        }
    }

    /// What to send back for a line.
    public enum Reply: Sendable {
        /// Nothing (a notification, a batch of notifications, a blank line).
        case none
        /// These bytes (one line, newline included), right away.
        case now([UInt8])
        /// The bytes once the handlers finish; nil means nothing to send.
        case later(@Sendable () async -> [UInt8]?)
    }

    /// Called for handler failures that are our bug, not the client's
    /// (anything thrown that is not an `RPCError`).
    public typealias FailureLog = @Sendable (_ method: String, _ error: any Error) -> Void

    public let methods: RPCMethodTable
    public let limits: Limits
    private let logFailure: FailureLog

    public init(methods: RPCMethodTable, limits: Limits = Limits(), logFailure: @escaping FailureLog = { _, _ in }) {
        self.methods = methods
        self.limits = limits
        self.logFailure = logFailure
    }

    /// Handles one line (without its newline).
    public func handle(line: UnsafeRawBufferPointer, context: RPCRequestContext) -> Reply {
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
            case .deferred(let work):
                return .later {
                    guard let response = await work() else { return nil }
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
        let hasDeferred = outcomes.contains { if case .deferred = $0 { true } else { false } }
        if !hasDeferred {
            let responses = outcomes.compactMap { if case .response(let response) = $0 { response } else { nil } }
            return responses.isEmpty ? .none : .now(Self.encode(batch: responses))
        }
        return .later {
            let responses = await withTaskGroup(of: (Int, RPCResponse?).self) { group in
                for (index, outcome) in outcomes.enumerated() {
                    switch outcome {
                    case .none: break
                    case .response(let response): group.addTask { (index, response) }
                    case .deferred(let work): group.addTask { (index, await work()) }
                    }
                }
                var collected: [(Int, RPCResponse)] = []
                for await (index, response) in group {
                    if let response { collected.append((index, response)) }
                }
                return collected.sorted { $0.0 < $1.0 }.map(\.1)
            }
            return responses.isEmpty ? nil : Self.encode(batch: responses)
        }
    }

    // MARK: Private

    private enum Outcome: Sendable {
        case none
        case response(RPCResponse)
        case deferred(@Sendable () async -> RPCResponse?)
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
        case .deferred(let body):
            let logFailure = self.logFailure
            return .deferred {
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
