import JSON
import JSONRPC

/// The daemon's own errors (JSON-RPC codes -32000..-32099), each a code and
/// a stable `data.reason`. Blocks of ten per area: -32001.. the daemon, -32010.. the upstream,
/// -32020.. jobs.
/// `Protocol/PROTOCOL.md` and `openrpc.json` list them; a test keeps the
/// three in step.
package struct ApplicationError: Sendable, Hashable {
    package let code: RPCErrorCode
    package let reason: String

    init(_ code: Int, _ reason: String) {
        self.code = RPCErrorCode(rawValue: code)
        self.reason = reason
    }

    /// The configuration file has an error (`daemon.reload`); the message
    /// names the file, the line and the key. Nothing changed.
    package static let configurationInvalid = ApplicationError(-32001, "configuration_invalid")

    /// The upstream could not be reached or failed for now (connection
    /// trouble, a timeout, 5xx). `data.retry_after_seconds` when it said.
    package static let upstreamUnavailable = ApplicationError(-32010, "upstream_unavailable")
    /// The upstream limits requests; `data.retry_after_seconds` when known.
    package static let rateLimited = ApplicationError(-32011, "rate_limited")
    /// The upstream refused the API key (missing, unknown, banned, revoked).
    package static let keyRejected = ApplicationError(-32012, "key_rejected")
    /// The upstream refused the request itself; `data.field` when it said which.
    package static let upstreamRejected = ApplicationError(-32013, "upstream_rejected")
    /// The upstream answered something its documentation does not promise.
    package static let upstreamProtocol = ApplicationError(-32014, "upstream_protocol")

    /// No job has this id; `data.id`.
    package static let jobNotFound = ApplicationError(-32020, "job_not_found")
    /// The job's state does not allow this (cancel a finished job, retry a
    /// queued one); `data.state`.
    package static let jobWrongState = ApplicationError(-32021, "job_wrong_state")
    /// The job database cannot be written (disk full, permissions): nothing
    /// was accepted.
    package static let storageFailed = ApplicationError(-32022, "storage_failed")

    /// Every application error, for documentation checks.
    package static let all: [ApplicationError] = [
        configurationInvalid, upstreamUnavailable, rateLimited, keyRejected, upstreamRejected, upstreamProtocol, jobNotFound, jobWrongState, storageFailed,
    ]

    /// This error with `message` and extra `data` members.
    package func callAsFunction(_ message: String, extra: JSONObject = [:]) -> RPCError {
        RPCError.make(code, reason: reason, message, extra: extra)
    }
}
