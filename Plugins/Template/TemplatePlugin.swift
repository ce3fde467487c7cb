import JSON
import Synchronization
import VisionCraftPluginABI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

// template: a visioncraft prompt plugin in Swift. It rewrites the prompt and
// the negative prompt as Dynamic Prompts templates (PromptTemplate), with
// wildcards from a folder and A1111 styles from a styles.csv.
//
// Options: "wildcards" (a folder; default $XDG_DATA_HOME/visioncraft/
// wildcards), "styles" (a styles.csv; default $XDG_DATA_HOME/visioncraft/
// styles.csv), "style" (a style's name, or several separated by commas),
// "mode" (random or combinatorial); declared in the descriptor.
// The request's "seed" makes the random choices reproducible.

/// The host table, set by init (the descriptor outlives everything). The
/// same table for every load, but two loads may initialise at once (found by
/// -sanitize=thread), so it is stored and read atomically (as its address:
/// a pointer is not Sendable).
private let hostAddress = Atomic<UInt>(0)

nonisolated(unsafe) private let descriptor: UnsafeMutablePointer<vc_plugin_descriptor> = {
    let pointer = UnsafeMutablePointer<vc_plugin_descriptor>.allocate(capacity: 1)
    pointer.initialize(to: vc_plugin_descriptor(
        abi_major: UInt16(VC_PLUGIN_ABI_MAJOR), abi_minor: UInt16(VC_PLUGIN_ABI_MINOR),
        size: UInt32(MemoryLayout<vc_plugin_descriptor>.size),
        name: UnsafePointer(strdup("template")), version: UnsafePointer(strdup("1.0.0")),
        description: UnsafePointer(strdup("Dynamic Prompts templates: {a|b}, {2$$a|b|c}, __wildcards__, A1111 styles")),
        hooks: UInt32(VC_HOOK_PROMPT), flags: 0,
        init: { table, _, _, _ in
            hostAddress.store(UInt(bitPattern: table), ordering: .releasing)
            return VC_OK
        },
        deinit: nil,
        prompt: { _, request, response, error in
            guard let request, let response, let error else { return VC_INVALID_INPUT }
            switch rewrite(String(cString: request)) {
            case .success(let text):
                response.pointee = copy(text)
                return response.pointee == nil ? VC_OUT_OF_MEMORY : VC_OK
            case .failure(let failure):
                error.pointee = copy(failure.description)
                return VC_INVALID_INPUT
            }
        },
        image: nil,
        file: nil,
        image_plan: nil,
        options: UnsafePointer(options)
    ))
    return pointer
}()

/// The options a step takes (ABI 1.2), ended by a NULL name; the host
/// refuses others at submit.
nonisolated(unsafe) private let options: UnsafeMutablePointer<vc_plugin_option> = {
    func text(_ value: String) -> UnsafePointer<CChar> { UnsafePointer(strdup(value)!) }
    let modes = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: 3)
    modes.initialize(from: [text("random"), text("combinatorial"), nil], count: 3)
    let string = UInt32(VC_OPTION_STRING.rawValue)
    let list: [vc_plugin_option] = [
        vc_plugin_option(
            name: text("mode"), type: string, flags: 0, minimum: 0, maximum: 0, choices: UnsafePointer(modes),
            description: text("random: one prompt, drawn with the seed (default); combinatorial: every prompt, one job each"), infotext: nil
        ),
        vc_plugin_option(
            name: text("style"), type: string, flags: 0, minimum: 1, maximum: 4096, choices: nil,
            description: text("A1111 styles to apply, by name, separated by commas"), infotext: nil
        ),
        vc_plugin_option(
            name: text("styles"), type: string, flags: 0, minimum: 1, maximum: 4096, choices: nil,
            description: text("the styles.csv (default $XDG_DATA_HOME/visioncraft/styles.csv)"), infotext: nil
        ),
        vc_plugin_option(
            name: text("wildcards"), type: string, flags: 0, minimum: 1, maximum: 4096, choices: nil,
            description: text("the wildcard folder (default $XDG_DATA_HOME/visioncraft/wildcards)"), infotext: nil
        ),
        vc_plugin_option(),
    ]
    let pointer = UnsafeMutablePointer<vc_plugin_option>.allocate(capacity: list.count)
    pointer.initialize(from: list, count: list.count)
    return pointer
}()

/// The entry point the host looks up.
@_cdecl("visioncraft_plugin_entry")
public func visioncraftPluginEntry() -> UnsafePointer<vc_plugin_descriptor> {
    UnsafePointer(descriptor)
}

/// A C string in host memory.
private func copy(_ text: String) -> UnsafeMutablePointer<CChar>? {
    let bytes = Array(text.utf8CString)
    guard let table = UnsafePointer<vc_host>(bitPattern: hostAddress.load(ordering: .acquiring)),
        let memory = table.pointee.allocate(bytes.count)
    else { return nil }
    let target = memory.assumingMemoryBound(to: CChar.self)
    bytes.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: bytes.count) }
    return target
}

/// The request with its prompts rendered.
func rewrite(_ requestJSON: String) -> Result<String, TemplateError> {
    do throws(TemplateError) {
        guard let request = try? JSONParser.parse(requestJSON), case .object(var object) = request else {
            throw TemplateError("the request is not a JSON object")
        }
        let options = object["options"]?.objectValue ?? [:]
        let mode = options["mode"]?.stringValue ?? "random"
        guard mode == "random" || mode == "combinatorial" else {
            throw TemplateError("mode \(mode): expected random (one prompt, drawn with the seed) or combinatorial (every prompt, one job each)")
        }
        let data = dataFolder()
        let wildcards = FileWildcards(folder: options["wildcards"]?.stringValue ?? "\(data)/wildcards")
        var random = SeededRandom(state: object["seed"]?.numberValue.flatMap { UInt64($0.text) } ?? 0)
        let template = try PromptTemplate(object["prompt"]?.stringValue ?? "")
        let prompts = mode == "combinatorial" ? try template.all(wildcards: wildcards, limit: 100) : [try template.render(wildcards: wildcards, random: &random)]
        var negative = try PromptTemplate(object["negative_prompt"]?.stringValue ?? "").render(wildcards: wildcards, random: &random)
        var styled = prompts
        if let names = options["style"]?.stringValue {
            let styles = try StyleSheet(path: options["styles"]?.stringValue ?? "\(data)/styles.csv")
            for name in names.split(separator: ",").map({ String($0).trimmingSpaces }) {
                guard let style = styles.styles[name] else {
                    throw TemplateError("no style named '\(name)' in \(styles.path) (it has: \(styles.styles.keys.sorted().joined(separator: ", ")))")
                }
                styled = styled.map { style.apply(to: $0, with: style.prompt) }
                negative = style.apply(to: negative, with: style.negative)
            }
        }
        object.removeValue(forKey: "options")
        object["negative_prompt"] = .string(negative)
        if styled.count == 1 {
            object["prompt"] = .string(styled[0])
            return .success(JSONSerializer.serializeToString(.object(object)))
        }
        let requests = styled.map { prompt -> JSON in
            var each = object
            each["prompt"] = .string(prompt)
            return .object(each)
        }
        return .success(JSONSerializer.serializeToString(["requests": .array(requests)]))
    } catch {
        return .failure(error)
    }
}

/// `$XDG_DATA_HOME/visioncraft`, else `~/.local/share/visioncraft`.
private func dataFolder() -> String {
    if let value = getenv("XDG_DATA_HOME"), value.pointee == 0x2F { return String(cString: value) + "/visioncraft" }
    let home = getenv("HOME").map { String(cString: $0) } ?? "/"
    return home + "/.local/share/visioncraft"
}

/// Wildcards as files: `__name__` is `<folder>/name.txt`, one value per line.
struct FileWildcards: WildcardSource {
    let folder: String

    func values(_ name: String) throws(TemplateError) -> [String] {
        guard !name.contains(".."), !name.hasPrefix("/") else { throw TemplateError("wildcard __\(name)__: a name cannot leave the wildcard folder") }
        let path = "\(folder)/\(name).txt"
        guard let text = readText(path) else { throw TemplateError("wildcard __\(name)__: no file \(path)") }
        return text.split(whereSeparator: \.isNewline).map { String($0).trimmingSpaces }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}

/// A1111's styles.csv: name, prompt, negative_prompt.
struct StyleSheet {
    struct Style {
        let prompt: String
        let negative: String

        /// `{prompt}` in the style's text is replaced by the prompt; without
        /// it, the style is appended.
        func apply(to prompt: String, with text: String) -> String {
            if text.isEmpty { return prompt }
            if text.contains("{prompt}") { return text.replacing("{prompt}", with: prompt) }
            return prompt.isEmpty ? text : "\(prompt), \(text)"
        }
    }

    let path: String
    let styles: [String: Style]

    init(path: String) throws(TemplateError) {
        self.path = path
        guard let text = readText(path) else { throw TemplateError("no styles file \(path)") }
        var styles: [String: Style] = [:]
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() where number > 0 {
            let fields = Self.fields(String(line))
            guard fields.count >= 2 else { continue }
            styles[fields[0]] = Style(prompt: fields[1], negative: fields.count > 2 ? fields[2] : "")
        }
        self.styles = styles
    }

    /// One CSV line's fields (double quotes, "" for a quote inside).
    static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = Array(line).makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    let next = iterator.next()
                    if next == "\"" { current.append("\"") } else { quoted = false; pending = next }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

private func readText(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer.prefix(count)
        if bytes.count > 8 << 20 { return nil }
    }
    return String(decoding: bytes, as: UTF8.self)
}

extension String {
    var trimmingSpaces: String {
        var result = Substring(self)
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return String(result)
    }
}
