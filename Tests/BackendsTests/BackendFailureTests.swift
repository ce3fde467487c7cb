import Backends
import Testing

@Suite struct BackendFailureTests {
    @Test func eachClassHasItsStoredNameAndAnActionableMessage() {
        let cases: [(BackendFailure, String, String)] = [
            (.transient("HTTP 502", retryAfter: nil), "transient", "temporary failure: HTTP 502"),
            (.rateLimited("slow down", retryAfter: .seconds(5)), "rate_limited", "rate limited: slow down"),
            (.keyRefused("Invalid token"), "auth", "the API key was refused: Invalid token"),
            (.quota("no credit"), "quota", "the account's quota is used up: no credit"),
            (.invalid("steps: too big", field: "steps"), "invalid", "the request was refused: steps: too big"),
            (.permanent("the image is gone (HTTP 404)"), "permanent", "the image is gone (HTTP 404)"),
            (.protocolViolation("no images"), "protocol", "the service answered something unexpected: no images"),
        ]
        for (failure, name, message) in cases {
            #expect(failure.kind.rawValue == name)
            #expect(failure.description == message)
        }
    }
}
