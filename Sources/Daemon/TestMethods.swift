import JSON
import JSONRPC
import JSONRPCServer

/// Methods that exist only for the test suite, registered with
/// `--enable-test-methods` (never by default, and not in openrpc.json): they
/// make slow requests and internal errors reproducible against the real
/// binary.
enum TestMethods {
    /// `test.sleep {"milliseconds": N}`: answers after N ms (0 to 60000),
    /// without holding a thread.
    enum Sleep: RPCMethod {
        static let name = "test.sleep"

        struct Parameters: RPCParameters {
            var milliseconds: Int

            init(params: JSON?) throws(RPCError) {
                do {
                    var reader = try FieldReader(params, path: "params")
                    milliseconds = try reader.required("milliseconds", try reader.integer("milliseconds", in: 0...60_000))
                    try reader.finish()
                } catch {
                    throw error.rpcError
                }
            }

            var params: JSON? { ["milliseconds": .number(JSONNumber(milliseconds))] }
        }

        struct Result: RPCResult {
            var milliseconds: Int
            init(milliseconds: Int) { self.milliseconds = milliseconds }
            init(result: JSON) throws(FieldError) {
                var reader = try FieldReader(result, path: "result")
                milliseconds = try reader.required("slept_ms", try reader.integer("slept_ms"))
            }
            var result: JSON { ["slept_ms": .number(JSONNumber(milliseconds))] }
        }
    }

    /// `test.fail`: a handler that fails the way a bug would (-32603).
    enum Fail: RPCMethod {
        static let name = "test.fail"
        typealias Parameters = NoParameters
        typealias Result = AnyResult
    }

    /// A failure that is not an `RPCError`, as a bug would throw.
    struct InjectedFailure: Error, CustomStringConvertible {
        var description: String { "an injected failure (test.fail)" }
    }

    static func register(in table: inout RPCMethodTable) {
        table.register(Sleep.self, .waiting, async: { parameters, _ in
            try await Task.sleep(for: .milliseconds(parameters.milliseconds))
            return Sleep.Result(milliseconds: parameters.milliseconds)
        })
        table.register(Fail.self) { _, _ in throw InjectedFailure() }
    }
}
