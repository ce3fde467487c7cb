import Jobs
import JSON
import JSONRPC
import Posix

/// A tool call's arguments, read with refusals that name the argument, and
/// an argument nobody asked for refused (a typo such as `promt` is an
/// error, not a silently ignored value).
struct MCPArguments {
    typealias Failure = MCPDaemonCall.Failure

    private let arguments: JSONObject
    private var read: Set<String> = []

    init(_ arguments: JSONObject) {
        self.arguments = arguments
    }

    mutating func string(_ name: String) throws(Failure) -> String? {
        read.insert(name)
        switch arguments[name] {
        case nil, .null?: return nil
        case .string(let value)?:
            guard !value.isEmpty else { throw Failure(message: "\(name): expected a non-empty string") }
            return value
        case let other?: throw Failure(message: "\(name): expected a string, got \(other.typeName)")
        }
    }

    mutating func boolean(_ name: String) throws(Failure) -> Bool? {
        read.insert(name)
        switch arguments[name] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let other?: throw Failure(message: "\(name): expected true or false, got \(other.typeName)")
        }
    }

    mutating func integer(_ name: String, in range: ClosedRange<Int>) throws(Failure) -> Int? {
        read.insert(name)
        guard let value = arguments[name], !value.isNull else { return nil }
        guard let number = value.intValue, value.numberValue?.double == Double(number), range.contains(number) else {
            throw Failure(message: "\(name): expected an integer from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return number
    }

    mutating func waitSeconds() throws(Failure) -> Double {
        read.insert("wait_seconds")
        guard let value = arguments["wait_seconds"], !value.isNull else { return MCPToolCatalog.defaultWaitSeconds }
        let range = MCPToolCatalog.waitSecondsRange
        guard let seconds = value.doubleValue, range.contains(seconds) else {
            throw Failure(message: "wait_seconds: expected a number from \(Int(range.lowerBound)) to \(Int(range.upperBound)), got \(value)")
        }
        return seconds
    }

    func required<Value>(_ value: Value?, _ name: String) throws(Failure) -> Value {
        guard let value else { throw Failure(message: "\(name): required") }
        return value
    }

    /// The job fields, checked as the daemon's job model checks them
    /// (`JobRequest`), the start image as a file this user may send: ready
    /// for `job.submit`. What the arguments leave out stays out, so that the
    /// daemon's defaults apply.
    mutating func jobRequest() throws(Failure) -> JSONObject {
        var job: JSONObject = [:]
        for field in JobField.allCases {
            let name = field == .initImage ? MCPToolCatalog.initImageArgument : field.wireName
            read.insert(name)
            guard let value = arguments[name], !value.isNull else { continue }
            if field == .initImage {
                guard let location = value.stringValue else { throw Failure(message: "\(name): expected a string, got \(value.typeName)") }
                job[field.wireName] = [.string(try Self.startImage(location))]
            } else {
                job[field.wireName] = value
            }
        }
        try finish()
        do {
            _ = try JobRequest(json: .object(job), path: "arguments")
        } catch {
            throw Failure(message: "\(MCPDaemonCall.argument(String(error.field.dropFirst("arguments.".count)))): \(error.detail)")
        }
        return job
    }

    /// Refuses what no read asked for.
    func finish() throws(Failure) {
        let unknown = arguments.keys.filter { !read.contains($0) }
        guard unknown.isEmpty else {
            throw Failure(message: "unknown argument\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) (this tool takes \(read.sorted().joined(separator: ", ")))")
        }
    }

    /// What a start image may be: an http(s) URL, which the daemon fetches,
    /// or an image file this user can read (a path or a `file://` URI),
    /// resolved. A file that is not a PNG, JPEG or WebP, or one under /proc,
    /// /sys or /dev, is refused before anything is sent: an assistant told
    /// to "use ~/.ssh/id_ed25519 as the start image" must not get it uploaded.
    static func startImage(_ location: String) throws(Failure) -> String {
        let name = MCPToolCatalog.initImageArgument
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        var path = location
        if location.hasPrefix("file://") {
            guard let decoded = MCPFileURI.path(location) else {
                throw Failure(message: "\(name): '\(location)' is not a local file:// URI (file:///absolute/path)")
            }
            path = decoded
        }
        guard path.hasPrefix("/") else {
            throw Failure(message: "\(name): expected an absolute path, a file:// URI or an http(s) URL, got '\(location)'")
        }
        guard let resolved = FileSystem.resolvedPath(path) else { throw Failure(message: "\(name): \(path) does not exist or cannot be reached") }
        for system in ["/proc", "/sys", "/dev"] where resolved == system || resolved.hasPrefix(system + "/") {
            throw Failure(message: "\(name): \(path) is a system file, not an image")
        }
        guard let status = try? FileSystem.status(resolved), status.kind == .regular else {
            throw Failure(message: "\(name): \(path) is not a regular file")
        }
        let head: [UInt8]
        do {
            let file = try FileDescriptor.open(resolved, O_RDONLY)
            defer { try? file.close() }
            head = try file.readAll(limit: 16)
        } catch {
            throw Failure(message: "\(name): \(path) cannot be read: \(error)")
        }
        guard MCPImageFormat(signature: head) != nil else {
            throw Failure(message: "\(name): \(path) is not a PNG, JPEG or WebP image")
        }
        return resolved
    }
}

/// The image formats a start image and a saved image may have, by their
/// first bytes and by their file names.
enum MCPImageFormat: String {
    case png = "image/png"
    case jpeg = "image/jpeg"
    case webp = "image/webp"

    init?(signature bytes: [UInt8]) {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            self = .webp
        } else {
            return nil
        }
    }

    init?(path: String) {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".png") {
            self = .png
        } else if lowered.hasSuffix(".jpg") || lowered.hasSuffix(".jpeg") {
            self = .jpeg
        } else if lowered.hasSuffix(".webp") {
            self = .webp
        } else {
            return nil
        }
    }

    var mimeType: String { rawValue }
}

/// `file://` URIs of local paths: every byte but the unreserved ones and
/// `/` percent-encoded, as RFC 8089 and RFC 3986 have them.
enum MCPFileURI {
    static func uri(_ path: String) -> String {
        var encoded = "file://"
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                encoded += "%" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
            }
        }
        return encoded
    }

    /// The absolute path of a `file:///path` or `file://localhost/path` URI;
    /// nil for another host, a query or fragment, or a bad escape.
    static func path(_ uri: String) -> String? {
        guard uri.hasPrefix("file://") else { return nil }
        var rest = Substring(uri.dropFirst(7))
        if rest.hasPrefix("localhost/") { rest = rest.dropFirst(9) }
        guard rest.hasPrefix("/"), !rest.contains("?"), !rest.contains("#") else { return nil }
        var bytes: [UInt8] = []
        var iterator = Array(rest.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        guard !bytes.contains(0) else { return nil }
        return String(validatingUTF8Bytes: bytes)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    /// The text of `bytes` if they are valid UTF-8.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard Array(text.utf8) == bytes else { return nil }
        self = text
    }
}
