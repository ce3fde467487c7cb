import JSON
import Posix
import Testing
import TestSupport

/// A small seeded generator (SplitMix64) so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Writes random JSON text with varied number forms, escapes, Unicode and whitespace.
struct DocumentGenerator {
    var random: SeededGenerator

    mutating func document() -> [UInt8] {
        var out: [UInt8] = []
        whitespace(&out)
        value(&out, depth: 0)
        whitespace(&out)
        return out
    }

    mutating func pick(_ n: Int) -> Int { Int.random(in: 0..<n, using: &random) }

    mutating func whitespace(_ out: inout [UInt8]) {
        for _ in 0..<[0, 0, 0, 1, 2][pick(5)] { out.append([0x20, 0x09, 0x0A, 0x0D][pick(4)]) }
    }

    mutating func value(_ out: inout [UInt8], depth: Int) {
        let choice = depth >= 30 ? pick(5) : pick(8)
        switch choice {
        case 0: out += Array("null".utf8)
        case 1: out += Array((pick(2) == 0 ? "true" : "false").utf8)
        case 2, 3: number(&out)
        case 4: string(&out)
        case 5, 6:
            out.append(UInt8(ascii: "["))
            let count = pick(5)
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                whitespace(&out)
                value(&out, depth: depth + 1)
                whitespace(&out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            out.append(UInt8(ascii: "{"))
            let count = pick(5)
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                whitespace(&out)
                out += Array("\"k\(index)_\(pick(1000))\"".utf8)
                whitespace(&out)
                out.append(UInt8(ascii: ":"))
                whitespace(&out)
                value(&out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    mutating func digits(_ count: Int, leadingNonZero: Bool) -> String {
        var text = ""
        for index in 0..<count {
            text += String(index == 0 && leadingNonZero ? 1 + pick(9) : pick(10))
        }
        return text
    }

    mutating func number(_ out: inout [UInt8]) {
        var text = pick(3) == 0 ? "-" : ""
        switch pick(6) {
        case 0: text += "0"
        case 1: text += digits(1 + pick(300), leadingNonZero: true)  // big integers
        default: text += digits(1 + pick(8), leadingNonZero: true)
        }
        if pick(3) == 0 { text += "." + digits(1 + pick(10), leadingNonZero: false) }
        if pick(4) == 0 {
            text += ["e", "E"][pick(2)] + ["", "+", "-"][pick(3)] + String(pick(4) == 0 ? pick(400) : pick(30))
        }
        out += Array(text.utf8)
    }

    mutating func string(_ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for _ in 0..<pick(12) {
            switch pick(10) {
            case 0: out += Array(["\\n", "\\\"", "\\\\", "\\/", "\\t", "\\b", "\\f", "\\r"][pick(8)].utf8)
            case 1: out += Array(String(format4: pick(0xD800)).utf8)
            case 2:  // a surrogate pair
                let scalar = 0x10000 + pick(0x100000)
                let high = 0xD800 + (scalar - 0x10000) >> 10
                let low = 0xDC00 + (scalar - 0x10000) & 0x3FF
                out += Array((String(format4: high) + String(format4: low)).utf8)
            case 3: out += Array(["é", "中", "😀", "\u{10FFFF}", "\u{7F}", "ß"][pick(6)].utf8)
            default:
                // Printable ASCII but the two characters that need escapes.
                let byte = UInt8(0x20 + pick(0x5F))
                out.append(byte == 0x22 || byte == 0x5C ? UInt8(ascii: "x") : byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A damaged copy of a valid document.
    mutating func mutate(_ document: [UInt8]) -> [UInt8] {
        var bytes = document
        let position = bytes.isEmpty ? 0 : pick(bytes.count)
        switch pick(10) {
        case 0 where !bytes.isEmpty: bytes[position] = UInt8(truncatingIfNeeded: pick(256))
        case 1:
            let interesting = Array("{}[]\",:0-.eE\\ \u{1}tfn".utf8)
            bytes.insert(interesting[pick(interesting.count)], at: position)
        case 2 where !bytes.isEmpty: bytes.remove(at: position)
        case 3: bytes = Array(bytes[..<position])
        case 4: bytes.insert(contentsOf: [[0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xC0, 0xAF], [0xFE]][pick(6)], at: position)
        case 5: bytes.insert(contentsOf: Array("\\ud800".utf8), at: position)
        case 6: bytes.insert(contentsOf: Array("0".utf8), at: position)
        case 7:
            if let close = bytes.lastIndex(where: { $0 == UInt8(ascii: "]") || $0 == UInt8(ascii: "}") }) {
                bytes.insert(UInt8(ascii: ","), at: close)
            }
        case 8: bytes.insert(UInt8(pick(0x20)), at: position)
        default:
            if !bytes.isEmpty {
                let end = min(bytes.count, position + pick(8))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            }
        }
        return bytes
    }
}

extension String {
    /// `\uXXXX` for a code unit.
    init(format4 value: Int) {
        let hex = String(value, radix: 16)
        self = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

/// Strict Python: UTF-8 strict, no NaN/Infinity, no duplicate keys, no lone
/// surrogates; floats that overflow and ints too large for a double are
/// reported as RANGE (our parser rejects those by design).
private let pythonScript = #"""
import json, sys
sys.stdout.reconfigure(encoding="utf-8")

def no_constants(name):
    raise ValueError("constant " + name)

def no_duplicates(pairs):
    keys = set()
    for key, _ in pairs:
        if key in keys:
            raise ValueError("duplicate key")
        keys.add(key)
    return dict(pairs)

class Range(Exception):
    pass

def check(value):
    if isinstance(value, str):
        value.encode("utf-8")  # fails on lone surrogates
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Range()
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            raise Range()
    elif isinstance(value, list):
        for item in value:
            check(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            check(key)
            check(item)

for line in sys.stdin:
    data = bytes.fromhex(line.strip())
    try:
        text = data.decode("utf-8")
        value = json.loads(text, parse_constant=no_constants, object_pairs_hook=no_duplicates)
        check(value)
        print("OK " + json.dumps(value, ensure_ascii=False))
    except Range:
        print("RANGE")
    except Exception:
        print("ERR")
"""#

@Suite struct DifferentialTests {
    @Test func agreesWithPythonsJSONOnGeneratedDocuments() async throws {
        guard let python = ProcessEnvironment.findExecutable(named: "python3") else {
            Issue.record("python3 is not installed: the differential JSON test needs it (.ci/install-packages --tests installs it)")
            return
        }
        let seed: UInt64 = 0x5EED_2026
        // Generating, hex-encoding and comparing 24,000 documents is seconds of
        // CPU in a debug build: off the cooperative pool, which the other tests share.
        let (accepted, mismatches, failure) = try await offPool { try Self.compareWithPython(python, seed: seed) }
        if let failure { Issue.record(Comment(rawValue: failure)); return }
        #expect(mismatches.isEmpty, "\(mismatches.count) disagreements, first: \(mismatches.prefix(3).joined(separator: "\n"))")
        // Both halves of the corpus did their job.
        #expect(accepted > 12_000, "too few valid documents: \(accepted)")
        #expect(accepted < 20_000, "too few mutations were invalid: \(accepted)")
    }

    /// Feeds generated documents and their mutations to Python's `json` and to
    /// ours; returns how many both accepted, the disagreements, and a failure
    /// that stopped the comparison. Blocking: call in `offPool`.
    static func compareWithPython(_ python: String, seed: UInt64) throws -> (accepted: Int, mismatches: [String], failure: String?) {
        var generator = DocumentGenerator(random: SeededGenerator(state: seed))
        var documents: [[UInt8]] = []
        for _ in 0..<12_000 {
            let document = generator.document()
            documents.append(document)
            documents.append(generator.mutate(document))
        }
        let input = documents.map { $0.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined() }.joined(separator: "\n") + "\n"
        let output = try runProcess(python, ["-c", pythonScript], input: input, timeout: TestTime.scaled(.seconds(120)))
        guard output.status == 0 else { return (0, [], "python failed: \(output.standardError)") }
        let verdicts = output.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard verdicts.count == documents.count else { return (0, [], "python answered \(verdicts.count) of \(documents.count)") }

        var accepted = 0
        var mismatches: [String] = []
        let options = JSONParser.Options(maxDepth: 512)
        for (index, document) in documents.enumerated() {
            let verdict = verdicts[index]
            let ours: JSON?
            do {
                ours = try JSONParser.parse(document, options: options)
            } catch {
                ours = nil
            }
            let shown = String(decoding: document.prefix(200), as: UTF8.self)
            if verdict == "ERR" || verdict == "RANGE" {
                if ours != nil { mismatches.append("seed \(seed) #\(index): python \(verdict), we accepted: \(shown)") }
                continue
            }
            guard verdict.hasPrefix("OK "), let ours else {
                mismatches.append("seed \(seed) #\(index): python \(verdict.prefix(40)), we rejected: \(shown)")
                continue
            }
            accepted += 1
            let theirs = try JSONParser.parse(String(verdict.dropFirst(3)), options: options)
            if theirs != ours { mismatches.append("seed \(seed) #\(index): values differ: \(shown)") }
        }
        return (accepted, mismatches, nil)
    }
}
