import Posix

/// A page under `man/`, read for checks that it documents the code.
public struct ManualPage {
    /// The repository's root (three levels above this file).
    public static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = FileSystem.parentDirectory(of: path) }
        return path
    }()

    public let path: String
    public let text: String

    /// Reads `man/<name>`.
    public init(_ name: String) throws {
        path = "\(Self.repositoryRoot)/man/\(name)"
        text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
    }

    /// Every long option the page mentions (`Fl \-name`).
    public var longOptions: Set<String> {
        var options: Set<String> = []
        let marker = Array("Fl \\-".utf8)
        let bytes = Array(text.utf8)
        var index = 0
        while index + marker.count <= bytes.count {
            if Array(bytes[index..<(index + marker.count)]) == marker {
                var end = index + marker.count
                while end < bytes.count, bytes[end] == UInt8(ascii: "-") || (bytes[end] >= 0x61 && bytes[end] <= 0x7A) || (bytes[end] >= 0x30 && bytes[end] <= 0x39) {
                    end += 1
                }
                let option = String(decoding: bytes[(index + marker.count)..<end], as: UTF8.self)
                if !option.isEmpty { options.insert(option) }
                index = end
            } else {
                index += 1
            }
        }
        return options
    }

    /// The text of each list item `name` names, from its `.It` line to the
    /// next item, list end or section. `name` gets each `.It` line and the
    /// title of the subsection (`.Ss`) it is in; nil skips the item.
    public func entries(naming name: (_ item: String, _ subsection: String) -> String?) -> [String: String] {
        var entries: [String: String] = [:]
        var subsection = ""
        var current: String?
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix(".Ss ") {
                subsection = String(line.dropFirst(4))
                current = nil
            } else if line.hasPrefix(".It"), let named = name(line, subsection) {
                current = named
                entries[named] = line + "\n"
            } else if line.hasPrefix(".It") || line.hasPrefix(".Sh") || line.hasPrefix(".El") {
                current = nil
            } else if let named = current {
                entries[named, default: ""] += line + "\n"
            }
        }
        return entries
    }
}
