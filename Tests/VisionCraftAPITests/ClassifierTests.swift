import Backends
import Base64Coding
import JSON
import Testing
@testable import VisionCraftAPI

func classify(_ status: Int, _ body: String, retryAfter: String? = nil, key: String? = "sk-secret-key") -> UpstreamError {
    UpstreamClassifier.classify(status: status, retryAfterHeader: retryAfter, body: Array(body.utf8), keys: key.map { [$0] } ?? [], now: 1_000_000)
}

@Suite struct ClassifierTests {
    @Test func tooManyRequestsReadsRetryAfterThenTheMessage() {
        #expect(classify(429, #"{"detail":"Too Many Requests"}"#, retryAfter: "5") == .rateLimited("Too Many Requests", retryAfter: .seconds(5)))
        #expect(classify(429, #"{"error":"users can make 2 requests per 10 seconds"}"#) == .rateLimited("users can make 2 requests per 10 seconds", retryAfter: .seconds(10)))
        #expect(classify(429, "") == .rateLimited("HTTP 429", retryAfter: nil))
    }

    @Test func a403AboutLimitsIsARateLimitNotADeadKey() {
        let limited = classify(403, #"{"error":"Rate limit exceeded: users can make 1 requests per 2 minutes"}"#)
        #expect(limited == .rateLimited("Rate limit exceeded: users can make 1 requests per 2 minutes", retryAfter: .seconds(120)))
        #expect(classify(403, #"{"detail":"Invalid token"}"#) == .auth("Invalid token"))
        #expect(classify(401, #"{"detail":"Not authenticated"}"#) == .auth("Not authenticated"))
    }

    @Test func fastAPIListsNameTheField() {
        let body = #"{"detail":[{"loc":["body","image_count"],"msg":"ensure this value is less than or equal to 5","type":"value_error.number.not_le"}]}"#
        #expect(classify(422, body) == .invalid("image_count: ensure this value is less than or equal to 5", field: "image_count"))
        let two = #"{"detail":[{"loc":["body","prompt"],"msg":"field required"},{"loc":["body","steps"],"msg":"too big"}]}"#
        #expect(classify(422, two) == .invalid("prompt: field required; steps: too big", field: "prompt"))
        #expect(classify(422, #"{"detail":"Model doesn't have anything_V9"}"#) == .invalid("Model doesn't have anything_V9", field: nil))
    }

    @Test func otherStatuses() {
        #expect(classify(400, #"{"error":"bad"}"#) == .invalid("bad", field: nil))
        #expect(classify(404, #"{"detail":"Not Found"}"#) == .invalid("Not Found", field: nil))
        #expect(classify(408, "") == .transient("HTTP 408", retryAfter: nil))
        #expect(classify(500, #"{"error":{"message":"boom"},"code":500}"#) == .transient("boom", retryAfter: nil))
        #expect(classify(503, "<html>down</html>", retryAfter: "30") == .transient("HTTP 503", retryAfter: .seconds(30)))
        #expect(classify(502, "gateway sad") == .transient("HTTP 502: gateway sad", retryAfter: nil))
    }

    @Test func theKeyNeverAppearsInMessages() {
        let echoed = #"{"detail":[{"loc":["body","image_count"],"msg":"bad","input":{"token":"sk-secret-key"}}],"error":"sk-secret-key is banned"}"#
        #expect(!classify(422, echoed).description.contains("sk-secret-key"))
        #expect(!classify(403, #"{"detail":"key sk-secret-key is banned"}"#).description.contains("sk-secret-key"))
        #expect(classify(403, #"{"detail":"key sk-secret-key is banned"}"#) == .auth("key *** is banned"))
    }

    @Test func successfulBodiesMustKeepThePromise() throws {
        func images(_ body: String) -> Result<[String], UpstreamError> { UpstreamClassifier.readImages(Array(body.utf8), keys: []) }
        #expect(try images(#"{"images":["https://h/a.png","http://h/b.png"]}"#).get() == ["https://h/a.png", "http://h/b.png"])
        for bad in ["<html>", #"{"detail":"ok"}"#, #"{"images":[]}"#, #"{"images":["not a url"]}"#, #"{"images":[5]}"#, #"{"images":"x"}"#] {
            guard case .failure(.protocolViolation) = images(bad) else {
                Issue.record("\(bad) was accepted")
                continue
            }
        }
    }

    @Test func retryAfterInBothForms() {
        let now = 1_445_412_480.0  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 7 ", now: now) == .seconds(7))
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parse("Wednesday, 21-Oct-15 07:29:00 GMT", now: now) == .seconds(60))
        #expect(RetryAfter.parse("Wed Oct 21 07:28:10 2015", now: now) == .seconds(10))
        #expect(RetryAfter.parse("Tue, 20 Oct 2015 07:28:00 GMT", now: now) == .zero, "a past date means now")
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse("-5", now: now) == nil)
    }

    @Test(arguments: [
        ("users can make 5 requests per 30 seconds", 30), ("Users can make 10 requests per 1 minute", 60),
        ("limit: 100 requests per 2 hours", 7200), ("2 requests per minute", 60), ("slow down", -1),
    ])
    func limitMessages(message: String, seconds: Int) {
        #expect(RetryAfter.fromMessage(message) == (seconds < 0 ? nil : .seconds(seconds)))
    }

    @Test func base64MatchesTheRFCVectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (input, output) in vectors { #expect(Base64.encode(Array(input.utf8)) == output) }
        #expect(Base64.encode([0xFF, 0xFE, 0xFD]) == "//79")
    }

    @Test func imageFormatsByMagic() {
        #expect(ImageFormat(magic: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageFormat(magic: [0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat(magic: Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .webp)
        #expect(ImageFormat(magic: Array("RIFF\0\0\0\0WAVE".utf8)) == nil)
        #expect(ImageFormat(magic: Array("{\"images\"".utf8)) == nil)
        #expect(ImageFormat.jpeg.fileExtension == "jpg")
    }
}
