import Jobs
import JSON
import JSONRPC
import Testing
import VisionCraftProtocol

@Suite struct ProtocolDocumentTests {
    @Test func theEmbeddedDocumentIsOpenRPC() throws {
        let document = try ProtocolDocuments.openRPC()
        #expect(document["openrpc"]?.stringValue?.hasPrefix("1.3") == true)
        #expect(document["info"]?["version"]?.stringValue == VisionCraftVersion.current)
        for method in document["methods"]?.arrayValue ?? [] {
            let name = method["name"]?.stringValue ?? "?"
            #expect(method["summary"]?.stringValue?.isEmpty == false, "\(name) has no summary")
            #expect(method["result"]?["schema"] != nil, "\(name) has no result schema")
            #expect(method["params"]?.arrayValue != nil, "\(name) has no params list")
        }
    }

    @Test func theDocumentListsExactlyTheCatalog() throws {
        #expect(try ProtocolDocuments.documentedMethodNames() == MethodCatalog.names)
    }

    /// Every closed set the document lists is the code's, value for value:
    /// job and image states, failure kinds.
    @Test func theDocumentedEnumerationsAreTheCodes() throws {
        var found: [String: [[String]]] = [:]
        func walk(_ value: JSON) {
            switch value {
            case .object(let members):
                for (key, member) in members {
                    if let values = member["enum"]?.arrayValue?.compactMap(\.stringValue) { found[key, default: []].append(values) }
                    walk(member)
                }
            case .array(let items):
                items.forEach(walk)
            default:
                break
            }
        }
        walk(try ProtocolDocuments.openRPC())
        let kinds = try #require(found["kind"]?.filter { $0.contains("transient") })
        #expect(kinds.count >= 2, "the job error's kind and the status's last failure")
        for values in kinds { #expect(values == FailureKind.allCases.map(\.rawValue)) }
        #expect(found["state"]?.contains(JobState.allCases.map(\.rawValue)) == true)
        #expect(found["state"]?.contains(ImageState.allCases.map(\.rawValue)) == true)
    }

    @Test func theDocumentedStatusExampleDecodes() throws {
        let document = try ProtocolDocuments.openRPC()
        let status = try #require(document["methods"]?.arrayValue?.first { $0["name"] == "daemon.status" })
        let example = try #require(status["examples"]?[0]?["result"]?["value"])
        let decoded = try DaemonStatus.Result(result: example)
        #expect(decoded.pid == 4242)
        // And the type writes every field the schema requires.
        let required = document["components"]?["schemas"]?["DaemonStatus"]?["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Set(decoded.result.objectValue?.keys ?? []) == Set(required))
    }

    @Test func theDocumentedErrorsCarryReasons() throws {
        let document = try ProtocolDocuments.openRPC()
        let errors = try #require(document["components"]?["errors"]?.objectValue)
        for (name, error) in errors {
            #expect(error["data"]?["reason"]?.stringValue != nil, "\(name) lacks data.reason")
            #expect(error["code"]?.intValue != nil)
        }
    }

    @Test func statusResultsRoundTrip() throws {
        var status = DaemonStatus.Result(
            version: "1", pid: 7, uptimeSeconds: 1.5, startedAt: "2026-01-01T00:00:00.000Z", socket: "/s", connections: 2,
            upstream: .init(url: "http://127.0.0.1:4000", emulator: true)
        )
        #expect(try DaemonStatus.Result(result: status.result) == status)
        status.upstream = nil
        #expect(try DaemonStatus.Result(result: status.result) == status, "an older daemon's status has no upstream")
        var broken = try #require(status.result.objectValue)
        broken["upstream"] = ["url": "x"]
        #expect(throws: FieldError.self) { _ = try DaemonStatus.Result(result: .object(broken)) }
        #expect(throws: FieldError.self) { _ = try DaemonStatus.Result(result: ["pid": 1]) }
        #expect(try DaemonShutdown.Result(result: ["stopping": true]).stopping)
    }

    @Test func listResultsRoundTripAndParametersAreChecked() throws {
        let models = CatalogListResult(member: "models", names: ["a", "b"])
        #expect(try ModelsList.Result(result: models.result) == models)
        let samplers = CatalogListResult(member: "samplers", names: ["Euler"])
        #expect(try SamplersList.Result(result: samplers.result) == samplers)
        #expect(throws: FieldError.self) { _ = try ModelsList.Result(result: ["models": [1]]) }
        #expect(try CatalogListParameters(params: ["refresh": true]).refresh)
        #expect(try !CatalogListParameters(params: nil).refresh)
        #expect(throws: RPCError.self) { _ = try CatalogListParameters(params: ["refresh": "yes"]) }
        #expect(throws: RPCError.self) { _ = try CatalogListParameters(params: ["fresh": true]) }
    }

    /// Tokens travel only where a backend reported them: absent, not 0;
    /// each field written is one the document lists, and its example decodes.
    @Test func usageResultsRoundTripWithTokensOnlyWhereReported() throws {
        let usage = UsageList.Result(days: [
            .init(day: "2026-12-02", backend: "openai", requests: 2, images: 3, seconds: 12.5, tokens: TokenCounts(input: 16, output: 816, total: 832)),
            .init(day: "2026-12-02", backend: "local", requests: 1, images: 1, seconds: 0.7, tokens: TokenCounts(total: 40)),
            .init(day: "2026-12-01", backend: "forge", requests: 1, images: 4, seconds: 30),
        ])
        #expect(try UsageList.Result(result: usage.result) == usage)
        let written = usage.result["days"]?.arrayValue?.map { Set($0.objectValue?.keys ?? []) } ?? []
        let plain: Set = ["day", "backend", "requests", "images", "seconds"]
        #expect(written == [plain.union(["input_tokens", "output_tokens", "total_tokens"]), plain.union(["total_tokens"]), plain])
        #expect(throws: FieldError.self) {
            _ = try UsageList.Result(result: ["days": [["day": "d", "backend": "b", "requests": 1, "images": 1, "seconds": 1, "input_tokens": -1]]])
        }
        let document = try ProtocolDocuments.openRPC()
        let method = try #require(document["methods"]?.arrayValue?.first { $0["name"] == "usage.list" })
        let day = method["result"]?["schema"]?["properties"]?["days"]?["items"]
        let documented = Set(day?["properties"]?.objectValue?.keys ?? [])
        #expect(written.allSatisfy { $0.isSubset(of: documented) }, "\(documented)")
        #expect(Set(day?["required"]?.arrayValue?.compactMap(\.stringValue) ?? []) == plain)
        let example = try UsageList.Result(result: try #require(method["examples"]?[0]?["result"]?["value"]))
        #expect(example.days.contains { $0.tokens != nil } && example.days.contains { $0.tokens == nil })
    }

    @Test func everyApplicationErrorIsDocumented() throws {
        let document = try ProtocolDocuments.openRPC()
        let errors = try #require(document["components"]?["errors"]?.objectValue)
        let documented = Set(errors.map(\.value).compactMap { error in error["data"]?["reason"]?.stringValue.map { "\($0) \(error["code"]?.intValue ?? 0)" } })
        for error in ApplicationError.all {
            #expect(documented.contains("\(error.reason) \(error.code.rawValue)"), "\(error.reason) is not in openrpc.json's components.errors")
        }
    }
}

/// Every field of a submit has a bound: refused with -32602 naming it.
@Suite struct JobParameterLimitTests {
    static func refusal(_ extra: JSONObject) -> String? {
        var params: JSONObject = ["prompt": "a fox"]
        for (key, value) in extra { params[key] = value }
        do {
            _ = try JobRequest(params: .object(params))
            return nil
        } catch {
            return error.message
        }
    }

    @Test func eachFieldHasABound() {
        #expect(Self.refusal(["idempotency_key": .string(String(repeating: "k", count: 256))]) == nil)
        #expect(Self.refusal(["idempotency_key": .string(String(repeating: "k", count: 10 << 20))])?.contains("params.idempotency_key") == true)
        #expect(Self.refusal(["idempotency_key": .string(String(repeating: "k", count: 257))]) != nil)
        #expect(Self.refusal(["labels": .array((0..<33).map { .string("l\($0)") })])?.contains("at most 32 labels") == true)
        #expect(Self.refusal(["plugins": .array((0..<17).map { _ in "upscale" })])?.contains("at most 16 steps") == true)
        #expect(Self.refusal(["plugins": [.string("template:" + String(repeating: "o", count: 5000))]])?.contains("at most 4096 bytes") == true)
        #expect(Self.refusal(["output_dir": .string("/" + String(repeating: "d", count: 5000))])?.contains("params.output_dir") == true)
        #expect(Self.refusal(["init_images": [.string("https://a.example/" + String(repeating: "i", count: 5000))]])?.contains("params.init_images") == true)
    }
}
