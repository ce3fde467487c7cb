import HTTPServer
import JSON

/// What the `/_emulator/...` routes of both emulators share: the fault plan
/// as JSON in and out, and the request counts.
enum EmulatorAdministration {
    /// `POST /_emulator/faults`: the plan with the body's changes, or a 400.
    static func updating(_ plan: FaultPlan, with body: [UInt8]) -> Result<FaultPlan, FaultPlanError> {
        do {
            return .success(try plan.updated(with: JSONParser.parse(body)))
        } catch let error as FaultPlanError {
            return .failure(error)
        } catch {
            return .failure(FaultPlanError("\(error)"))
        }
    }

    /// The 400 for a refused fault change.
    static func refusal(_ error: FaultPlanError) -> HTTPResponse {
        .json(["error": .string(error.description)], status: .badRequest)
    }

    /// `GET /_emulator/stats`' `requests` (endpoint -> status -> count,
    /// "reset" for reset connections) and `total`.
    static func requests(_ counts: [String: [Int: Int]]) -> JSONObject {
        var requests = JSONObject()
        for (endpoint, statuses) in counts.sorted(by: { $0.key < $1.key }) {
            var byStatus = JSONObject()
            for (status, count) in statuses.sorted(by: { $0.key < $1.key }) {
                byStatus[status == 0 ? "reset" : String(status)] = .number(JSONNumber(count))
            }
            requests[endpoint] = .object(byStatus)
        }
        let total = counts.values.reduce(0) { $0 + $1.values.reduce(0, +) }
        return ["requests": .object(requests), "total": .number(JSONNumber(total))]
    }

    /// The status an answer was counted under (0: the connection was reset).
    static func status(of reply: HTTPReply) -> Int {
        switch reply {
        case .response(let response), .truncated(let response, _), .throttled(let response, _, _), .upgrade(let response, _): response.status.code
        case .resetConnection: 0
        }
    }
}
