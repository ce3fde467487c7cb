import Imaging
import Jobs
import JSON
import PluginHost
import Posix

/// Plugin chains as users write them (`--plugin upscale:scale=2`, or JSON
/// options) and what the shipped plugins make of any options: the step
/// parser refuses with a message or gives a name and a JSON object; the
/// template plugin's prompt hook (its Dynamic Prompts parser, fed the input
/// as the prompt too) and the upscale plugin's image hook answer or fail
/// with a message, within a time limit, never with a picture larger than
/// they promise (16384 pixels a side). The exec plugin runs commands and is left out.
public final class PluginOptionsFuzzTarget: @unchecked Sendable {
    private let template: LoadedPlugin
    private let upscale: LoadedPlugin
    private let picture = RGBAImage(width: 4, height: 3, fill: (200, 100, 50, 255))
    /// How long one hook may take before it counts as a hang.
    public var timeLimit: Duration = .seconds(10)

    /// Loads the shipped plugins from `folder` (where `swift build` puts them).
    public init(pluginFolder folder: String) throws(FuzzFailure) {
        do {
            template = try PluginLoader.load("\(folder)/libvisioncraft-template\(PluginRegistry.fileExtension)")
            upscale = try PluginLoader.load("\(folder)/libvisioncraft-upscale\(PluginRegistry.fileExtension)")
        } catch {
            throw FuzzFailure("the shipped plugins cannot be loaded from \(folder): \(error); build them first (swift build) and name that build's folder in VISIONCRAFT_BIN_DIR")
        }
    }

    public func run(_ input: [UInt8]) throws(FuzzFailure) {
        let text = String(decoding: input, as: UTF8.self)
        let options: JSON
        switch Result(catching: { () throws(PluginStepError) in try PluginStep(parsing: "x:" + text) }) {
        case .success(let step):
            guard case .object = step.options else { throw FuzzFailure("options that are not an object: \(step.options)") }
            options = step.options
        case .failure(let error):
            guard !error.description.isEmpty else { throw FuzzFailure("a step error without a message for \(FuzzFailure.show(input))") }
            // Not a step: the bytes themselves as options, when they are JSON.
            options = (try? JSONParser.parse(input)) ?? [:]
        }
        let request: JSON = ["prompt": .string(text), "negative_prompt": "", "image_count": 1, "seed": 7, "options": options]
        let prompt = JSONSerializer.serializeToString(request)
        let limit = timeLimit
        switch call({ [template] () async throws(PluginError) -> String in try await template.prompt(prompt, timeout: limit) }) {
        case .success(let answer):
            guard (try? JSONParser.parse(answer)) != nil else { throw FuzzFailure("the template plugin answered no JSON for \(FuzzFailure.show(input))") }
        case .failure(let error):
            try check(error, "template", input)
        }
        let parameters = JSONSerializer.serializeToString(["prompt": "x", "options": options])
        switch call({ [upscale, picture] () async throws(PluginError) -> RGBAImage in
            try await upscale.image(picture, parameters: parameters, timeout: limit)
        }) {
        case .success(let image):
            guard (1...16384).contains(image.width), (1...16384).contains(image.height) else {
                throw FuzzFailure("upscale made \(image.width)x\(image.height), beyond its 16384-pixel promise, for \(FuzzFailure.show(input))")
            }
        case .failure(let error):
            try check(error, "upscale", input)
        }
    }

    // MARK: Private

    /// A refusal is fine when it says why; a hang never is.
    private func check(_ error: PluginError, _ name: String, _ input: [UInt8]) throws(FuzzFailure) {
        if error.kind == .timedOut { throw FuzzFailure("the \(name) plugin hung for \(FuzzFailure.show(input))") }
        guard !error.description.isEmpty else { throw FuzzFailure("the \(name) plugin failed without a message for \(FuzzFailure.show(input))") }
    }

    /// Runs an async hook call from this (non-pool) thread and waits for it.
    private func call<T: Sendable>(_ body: @escaping @Sendable () async throws(PluginError) -> T) -> Result<T, PluginError> {
        let outcome = ThreadCondition<Result<T, PluginError>?>(nil)
        Task {
            let result: Result<T, PluginError>
            do throws(PluginError) {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            outcome.update { $0 = result }
        }
        guard outcome.wait(timeout: timeLimit + .seconds(5), until: { $0 != nil }) else {
            return .failure(PluginError(.timedOut, "no answer within \(timeLimit)"))
        }
        return outcome.read { $0! }
    }
}
