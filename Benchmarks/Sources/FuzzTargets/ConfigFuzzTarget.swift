import Configuration

/// The configuration file's reader: any bytes either parse or fail with a
/// line inside the file, a parsed file either gives settings or names the
/// wrong key and its line, and any text written as a quoted value by
/// `ConfigFile.quote` (what `vcctl config set` writes) reads back unchanged.
public struct ConfigFuzzTarget: Sendable {
    public init() {}

    public func run(_ input: [UInt8]) throws(FuzzFailure) {
        let text = String(decoding: input, as: UTF8.self)
        let lines = text.unicodeScalars.filter { $0 == "\n" }.count + 1
        switch Result(catching: { () throws(ConfigError) in try ConfigFile(parsing: text) }) {
        case .success(let file):
            if case .failure(let error) = Result(catching: { () throws(ConfigError) in try Settings(file: file) }),
                error.line == nil || error.key == nil || error.message.isEmpty
            {
                throw FuzzFailure("a settings error without its line or key (\(error)) for: \(FuzzFailure.show(input))")
            }
        case .failure(let error):
            if let line = error.line, !(1...lines).contains(line) {
                throw FuzzFailure("line \(line) of a \(lines)-line file (\(error)) for: \(FuzzFailure.show(input))")
            }
            if error.message.isEmpty { throw FuzzFailure("an error without a message for: \(FuzzFailure.show(input))") }
        }
        // CRLF line endings read the same as LF ones.
        let crlf = text.replacing("\n", with: "\r\n")
        if Self.summary(of: text) != Self.summary(of: crlf) {
            throw FuzzFailure("with CRLF endings the file reads differently (\(Self.summary(of: crlf)) instead of \(Self.summary(of: text))): \(FuzzFailure.show(input))")
        }
        // What `config set` writes must read back as it was.
        let written = "[jobs]\nmodel = \(ConfigFile.quote(text))\n"
        switch Result(catching: { () throws(ConfigError) in try ConfigFile(parsing: written) }) {
        case .success(let read):
            guard read.entries.count == 1, read.entries[0].value == .string(text) else {
                throw FuzzFailure("a quoted value read back as \(read.entries.map(\.value)), not \(FuzzFailure.show(input))")
            }
        case .failure(let error):
            throw FuzzFailure("a quoted value does not read back (\(error)): \(FuzzFailure.show(input))")
        }
    }

    /// The keys and values a text gives, or the line of its error.
    static func summary(of text: String) -> String {
        switch Result(catching: { () throws(ConfigError) in try ConfigFile(parsing: text) }) {
        case .success(let file): file.entries.map { "\($0.name)=\($0.value)" }.joined(separator: ";")
        case .failure(let error): "error at line \(error.line.map(String.init) ?? "-")"
        }
    }
}
