import Posix

/// The ways `vcctl show` can preview an image, and how it picks one.
///
/// Picking is a pure function of what it is given (whether standard output is
/// a terminal, the environment, the terminal's answer to a device-attributes
/// query), so that tests can run it without a terminal.
enum TerminalGraphics: String, Sendable, CaseIterable {
    /// The kitty graphics protocol (`KittyGraphics`).
    case kitty
    /// Sixel (`SixelEncoder`).
    case sixel
    /// No image: the paths, one per line.
    case none

    /// The values of `--protocol`: "auto" and the cases.
    static let choices = ["auto"] + allCases.map(\.rawValue)

    /// The terminal programs known to speak the kitty graphics protocol, by
    /// `TERM_PROGRAM`.
    static let kittyPrograms = ["WezTerm", "ghostty"]

    /// The protocol to use.
    ///
    /// An explicit choice (anything but "auto") is used as it is, even off a
    /// terminal. Auto: `none` unless standard output is a terminal; `kitty`
    /// when the environment names a terminal that speaks it (see
    /// `speaksKitty(_:)`); `none` for `TERM` unset or "dumb"; else `sixel`
    /// when the answer to a primary device attributes query lists sixel
    /// (see `listsSixel(deviceAttributes:)`), else `none`.
    ///
    /// - Parameters:
    ///   - requested: a value of `choices`.
    ///   - isTerminal: whether standard output is a terminal.
    ///   - environment: the process environment.
    ///   - deviceAttributes: asks the terminal (`ESC [ c`) and returns its
    ///     answer, nil for none; called only when the answer decides.
    static func choose(
        requested: String, isTerminal: Bool, environment: Environment, deviceAttributes: () -> String?
    ) -> TerminalGraphics {
        if let explicit = TerminalGraphics(rawValue: requested) { return explicit }
        // NO_COLOR asks for plain output: no previews, and no query either.
        guard isTerminal, (environment["NO_COLOR"] ?? "").isEmpty else { return .none }
        if speaksKitty(environment) { return .kitty }
        let term = environment["TERM"] ?? ""
        if term.isEmpty || term == "dumb" { return .none }
        guard let answer = deviceAttributes() else { return .none }
        return listsSixel(deviceAttributes: answer) ? .sixel : .none
    }

    /// Whether the environment names a terminal that speaks the kitty
    /// graphics protocol: `TERM` xterm-kitty or xterm-ghostty,
    /// `KITTY_WINDOW_ID` set, or `TERM_PROGRAM` WezTerm or ghostty. Inside
    /// tmux or screen (`TMUX`, `STY` set, or `TERM` screen* or tmux*) the
    /// variables describe the outer terminal, which the multiplexer stands
    /// between: false.
    static func speaksKitty(_ environment: Environment) -> Bool {
        let term = environment["TERM"] ?? ""
        let multiplexed = !(environment["TMUX"] ?? "").isEmpty || !(environment["STY"] ?? "").isEmpty
            || term.hasPrefix("screen") || term.hasPrefix("tmux")
        if multiplexed { return false }
        return term == "xterm-kitty" || term == "xterm-ghostty" || !(environment["KITTY_WINDOW_ID"] ?? "").isEmpty
            || kittyPrograms.contains(environment["TERM_PROGRAM"] ?? "")
    }

    /// Whether a primary device attributes answer (`ESC [ ? 62 ; 4 ; 22 c`)
    /// lists attribute 4, sixel graphics. Bytes around the answer (keys typed
    /// meanwhile) are ignored.
    static func listsSixel(deviceAttributes answer: String) -> Bool {
        guard let parameters = parameters(deviceAttributes: answer) else { return false }
        return parameters.contains(4)
    }

    /// The numbers of a primary device attributes answer, nil if `answer`
    /// holds none.
    static func parameters(deviceAttributes answer: String) -> [Int]? {
        let bytes = Array(answer.utf8)
        let introducer: [UInt8] = [0x1B, UInt8(ascii: "["), UInt8(ascii: "?")]
        var index = 0
        while index + introducer.count <= bytes.count {
            guard bytes[index..<index + introducer.count].elementsEqual(introducer) else {
                index += 1
                continue
            }
            let start = index + introducer.count
            var end = start
            while end < bytes.count, bytes[end] == UInt8(ascii: ";") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) {
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "c") {
                return String(decoding: bytes[start..<end], as: UTF8.self).split(separator: ";").compactMap { Int($0) }
            }
            index = start
        }
        return nil
    }
}
