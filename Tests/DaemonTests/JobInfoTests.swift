@testable import Daemon
import Jobs
@testable import JobStore
import JSON
import Testing
import VisionCraftProtocol

/// A stored job as the daemon shows it: its parameters written as stored.
@Suite struct JobInfoTests {
    func record(parameters: String, prompt: String = "stored prompt", imageCount: Int = 3) -> JobRecord {
        JobRecord(
            id: "01J", state: .queued, priority: 0, parameters: parameters, prompt: prompt, labels: [], outputDirectory: nil,
            idempotencyKey: nil, imageCount: imageCount, attempts: 0, nextAttemptAt: nil, error: nil, createdAt: 0, updatedAt: 0,
            startedAt: nil, finishedAt: nil, images: []
        )
    }

    @Test func storedParametersAreWrittenAsStoredAndReadBackWhenAsked() throws {
        let submitted = JobRequest(prompt: "a fox", model: "anything_V5", sampler: "Euler", imageCount: 3, steps: 30, labels: ["zoo"])
        let stored = JSONSerializer.serializeToString(submitted.json)
        let info = record(parameters: stored).info(position: 2)
        #expect(info.result["params"] == submitted.json, "the stored document, not a re-encoding")
        #expect(info.params == submitted, "decoded when asked")
        #expect(info.result["image_count"]?.intValue == 3)
        #expect(info.result["position"]?.intValue == 2)
        #expect(try JobInfo(result: info.result) == info, "what a client reads equals what the daemon holds")

        // The same job held decoded (as a client holds it) is equal and
        // writes the same reply.
        var decoded = info
        decoded.params = submitted
        #expect(decoded == info)
        #expect(decoded.result == info.result)
    }

    /// The failure kind is one closed set on the wire too: a client reads
    /// each kind back, and refuses one no daemon sends, naming the set.
    @Test func failureKindsAreReadBackAndAnUnknownOneIsRefused() throws {
        var info = record(parameters: JSONSerializer.serializeToString(JobRequest(prompt: "a fox").json)).info()
        for kind in FailureKind.allCases {
            info.error = JobInfo.Failure(kind: kind, message: "why")
            #expect(info.result["error"]?["kind"] == .string(kind.rawValue))
            #expect(try JobInfo(result: info.result).error == info.error)
        }
        guard case .object(var reply) = info.result, case .object(var error)? = reply["error"] else {
            Issue.record("not an object: \(info.result)")
            return
        }
        error["kind"] = "melted"
        reply["error"] = .object(error)
        #expect {
            _ = try JobInfo(result: .object(reply))
        } throws: { error in
            "\(error)".contains("result.error.kind") && "\(error)".contains("rate_limited") && "\(error)".contains("corrupt_job")
        }
    }

    @Test func aStoredTextThatIsNotAnObjectShowsWhatTheStoreKnows() {
        for text in ["not json", "[1,2]", "\"a string\"", ""] {
            let info = record(parameters: text).info()
            #expect(info.params.prompt == "stored prompt", "\(text)")
            #expect(info.params.imageCount == 3)
            #expect(info.result["params"]?["prompt"] == "stored prompt", "\(text)")
        }
    }

    @Test func anObjectThatIsNotValidParametersIsPassedOnAndReadAsWhatTheStoreKnows() {
        // Only a hand-edited database holds one: the reply carries it as it
        // is (a client names the bad field), the daemon's own reading falls
        // back to the stored prompt and count.
        let info = record(parameters: #"{"prompt":"x","n":"many"}"#).info()
        #expect(info.result["params"]?["n"] == "many")
        #expect(info.params.prompt == "stored prompt")
        #expect(info.params.imageCount == 3)
    }

    /// A listing reads the few fields a line shows from what the daemon
    /// writes: the same as the job read whole, and a wrong one is refused
    /// by name.
    @Test func aSummaryReadsWhatALineShowsAndRefusesWhatIsWrong() throws {
        let info = record(parameters: JSONSerializer.serializeToString(JobRequest(prompt: "a fox", imageCount: 3).json)).info()
        let page: JSON = ["jobs": [info.result, info.result], "next": "01J"]
        let read = try JobList.Summaries.Result(result: page)
        #expect(read.jobs == [JobSummary(info), JobSummary(info)])
        #expect(read.jobs.first?.prompt == "a fox" && read.jobs.first?.imageCount == 3)
        #expect(read.next == "01J")
        guard case .object(var entry) = info.result, case .object(var parameters)? = entry["params"] else {
            Issue.record("not an object: \(info.result)")
            return
        }
        var melted = entry
        melted["state"] = "melted"
        parameters["prompt"] = 7
        entry["params"] = .object(parameters)
        for (bad, field) in [(JSON.object(melted), "result.jobs[0].state"), (.object(entry), "result.jobs[0].params.prompt")] {
            #expect {
                _ = try JobList.Summaries.Result(result: ["jobs": [bad]])
            } throws: { error in
                "\(error)".contains(field)
            }
        }
    }
}
