import Jobs
import JSON
import JSONRPC
import Testing

/// The one table of a job's fields, and the rules a backend states.
@Suite struct JobFieldTests {
    @Test func everyFieldHasOneWireNameAndOneFlag() {
        let wireNames = JobField.allCases.map(\.wireName)
        #expect(Set(wireNames).count == wireNames.count)
        let flags = JobField.allCases.compactMap(\.flag)
        #expect(Set(flags).count == flags.count)
        #expect(flags.count == JobField.allCases.count - 1, "every field but the prompt (vcctl's argument) has a flag")
        #expect(flags.allSatisfy { $0.hasPrefix("--") })
        #expect(JobField.allCases.allSatisfy { !$0.help.isEmpty && !$0.valueName.isEmpty })
    }

    /// Every field a request encodes is one of the table's, and reads back
    /// as it was.
    @Test func aRequestEncodesOnlyTheTablesFieldsAndReadsBack() throws {
        let request = JobRequest(
            prompt: "a fox", negativePrompt: "rain", backend: "forge", model: "m", sampler: "s", scheduler: "Karras", imageCount: 7, cfgScale: 6.5,
            steps: 40, seed: 4_294_967_295, initImage: "/in.png", workflow: "/flows/sdxl.json", width: 640, height: 512, priority: -3, labels: ["a", "b"], outputDirectory: "/out",
            plugins: [try PluginStep(parsing: "upscale:scale=2")], idempotencyKey: "k"
        )
        guard case .object(let object) = request.json else { Issue.record("not an object"); return }
        #expect(Set(object.keys) == Set(JobField.allCases.map(\.wireName)))
        #expect(try JobRequest(json: request.json, path: "params") == request)
    }

    /// The table's range is what the wire refuses, naming the field.
    @Test(arguments: JobField.allCases.filter { $0.integerRange != nil })
    func theWireRefusesAnIntegerOutsideTheFieldsRange(field: JobField) throws {
        let range = try #require(field.integerRange)
        var object: JSONObject = ["prompt": "x", field.wireName: .number(JSONNumber(range.upperBound + 1))]
        #expect(throws: FieldError(field: "params.\(field.wireName)", detail: "expected an integer from \(range.lowerBound) to \(range.upperBound), got \(range.upperBound + 1)")) {
            _ = try JobRequest(json: .object(object), path: "params")
        }
        object[field.wireName] = .number(JSONNumber(range.lowerBound))
        #expect(throws: Never.self) { _ = try JobRequest(json: .object(object), path: "params") }
    }

    @Test func theBackendsRulesAreCheckedAtSubmitNamingTheField() {
        let rules = BackendRules.visionCraft
        func refusal(_ request: JobRequest) -> ParameterProblem? {
            do {
                try request.check(against: rules)
                return nil
            } catch {
                return error
            }
        }
        #expect(refusal(JobRequest(prompt: "x", steps: 31)) == ParameterProblem(field: "steps", message: "expected an integer from 1 to 30 for text-to-image, got 31"))
        #expect(refusal(JobRequest(prompt: "x", steps: 50, initImage: "/a.png")) == nil)
        #expect(refusal(JobRequest(prompt: "x", steps: 51, initImage: "/a.png")) == ParameterProblem(field: "steps", message: "expected an integer from 1 to 50 for image-to-image, got 51"))
        #expect(refusal(JobRequest(prompt: "x", cfgScale: 7.5)) == ParameterProblem(field: "cfg_scale", message: "expected a whole number for text-to-image, got 7.5"))
        #expect(refusal(JobRequest(prompt: "x", cfgScale: 7.5, initImage: "/a.png")) == nil)
        #expect(refusal(JobRequest(prompt: "x", width: 512)) == ParameterProblem(field: "width", message: "applies to image-to-image jobs only (give init_images)"))
        #expect(refusal(JobRequest(prompt: "x", seed: 7)) == ParameterProblem(field: "seed", message: "this backend picks its own seed; it takes none (leave it out)"))
        #expect(refusal(JobRequest(prompt: "x", scheduler: "Karras")) == ParameterProblem(
            field: "scheduler", message: "this backend picks its own noise schedule; it takes none (leave it out)"
        ))
        var none = rules
        none.takesSteps = false
        none.takesGuidance = false
        none.takesSampler = false
        for (request, field) in [(JobRequest(prompt: "x", steps: 3), "steps"), (JobRequest(prompt: "x", cfgScale: 5), "cfg_scale"), (JobRequest(prompt: "x", sampler: "Euler"), "sampler")] {
            #expect(throws: ParameterProblem(field: field, message: "this backend takes none (leave it out)")) { try request.check(against: none) }
        }
        let resolved = JobRequest(prompt: "x").resolved(with: none)
        #expect(resolved.steps == nil && resolved.cfgScale == nil, "nothing filled in that the backend does not take")
        var seeded = rules
        seeded.takesSeed = true
        seeded.takesScheduler = true
        #expect(throws: Never.self) { try JobRequest(prompt: "x", scheduler: "Karras", seed: 7).check(against: seeded) }
        #expect(refusal(JobRequest(prompt: "x", initImage: "/a.png", height: 1032)) == ParameterProblem(field: "height", message: "expected a multiple of 8 up to 1024, got 1032"))
        #expect(refusal(JobRequest(prompt: "x", initImage: "/a.png", width: 100)) == ParameterProblem(field: "width", message: "expected a multiple of 8 up to 1024, got 100"))
        #expect(refusal(JobRequest(prompt: "x", model: "m", initImage: "/a.png"))?.field == "model")
        // A backend that takes more takes more.
        var wider = rules
        wider.textToImageSteps = 1...150
        wider.textToImageTakesSize = true
        wider.maximumSide = 2048
        #expect((try? JobRequest(prompt: "x", steps: 120, width: 1536).check(against: wider)) != nil)
    }

    @Test func theStoredRequestHoldsTheBackendsDefaults() {
        let rules = BackendRules.visionCraft
        let text = JobRequest(prompt: "x").resolved(with: rules)
        #expect(text.steps == 30 && text.cfgScale == 10 && text.width == nil && text.height == nil)
        let image = JobRequest(prompt: "x", initImage: "/a.png").resolved(with: rules)
        #expect(image.steps == 50 && image.cfgScale == 7 && image.width == 512 && image.height == 512)
        let given = JobRequest(prompt: "x", cfgScale: 3, steps: 12).resolved(with: rules)
        #expect(given.steps == 12 && given.cfgScale == 3)
    }

    /// A workflow is for a backend that runs workflows, and its values hold
    /// where the job gives none: neither the job's own nor the backend's
    /// gets the rules' defaults.
    @Test func aWorkflowIsTakenOnlyWhereTheRulesSayAndKeepsItsOwnValues() throws {
        #expect(throws: ParameterProblem(field: "workflow", message: "this backend takes none (leave it out)")) {
            try JobRequest(prompt: "x", workflow: "/flows/a.json").check(against: .visionCraft)
        }
        var comfy = BackendRules.visionCraft
        comfy.takesWorkflow = true
        #expect(throws: Never.self) { try JobRequest(prompt: "x", workflow: "/flows/a.json").check(against: comfy) }
        let ownWorkflow = JobRequest(prompt: "x", workflow: "/flows/a.json").resolved(with: comfy)
        #expect(ownWorkflow.steps == nil && ownWorkflow.cfgScale == nil && ownWorkflow.width == nil)
        comfy.runsWorkflow = true
        let backendsWorkflow = JobRequest(prompt: "x", initImage: "/a.png").resolved(with: comfy)
        #expect(backendsWorkflow.steps == nil && backendsWorkflow.cfgScale == nil && backendsWorkflow.width == nil && backendsWorkflow.height == nil)
        let given = JobRequest(prompt: "x", cfgScale: 4, steps: 9).resolved(with: comfy)
        #expect(given.steps == 9 && given.cfgScale == 4, "what the job gives is written over the workflow's")
        #expect(throws: FieldError(field: "params.workflow", detail: "expected an absolute path, got 'flows/a.json'")) {
            _ = try JobRequest(json: ["prompt": "x", "workflow": "flows/a.json"], path: "params")
        }
        #expect(throws: FieldError(field: "params.workflow", detail: "expected an absolute path, got 'https://example.com/a.json'")) {
            _ = try JobRequest(json: ["prompt": "x", "workflow": "https://example.com/a.json"], path: "params")
        }
    }

    /// The help line states the range and the default the rules give.
    @Test func helpStatesTheRangesOfTheTableAndTheRules() {
        #expect(JobField.imageCount.help.contains("1 to 100") && JobField.imageCount.help.contains("requests of 5"))
        #expect(JobField.steps.help == "Refinement steps, 1 to 30 (default 30; up to 50, default 50, for --init-image).")
        #expect(JobField.cfgScale.help == "How closely to follow the prompt, 0 to 20 (default 10; 7 for --init-image).")
        #expect(JobField.priority.help.hasPrefix("-100 to 100"))
    }
}
