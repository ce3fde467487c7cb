import JSON
import Testing
import TestSupport

/// Parses and returns the error kind, or nil if it parsed.
private func failure(_ text: String, options: JSONParser.Options = .init()) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(text, options: options)
        return nil
    } catch {
        return error
    }
}

private func failure(bytes: [UInt8]) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(bytes)
        return nil
    } catch {
        return error
    }
}

@Suite struct JSONParserRuleTests {
    @Test(arguments: [
        ("null", JSON.null), ("true", JSON.bool(true)), ("false", JSON.bool(false)), ("0", JSON(integerLiteral: 0)),
        ("-0", JSON.number(JSONNumber(literal: "-0")!)), ("\"\"", JSON.string("")), ("[]", JSON.array([])),
        ("{}", JSON.object([:])), (" \t\r\n 1 \n", JSON(integerLiteral: 1)),
        ("[1,[2,[3]]]", JSON.array([1, [2, [3]]])), (#"{"a":{"b":[true,null]}}"#, JSON.object(["a": ["b": [true, nil]]])),
    ] as [(String, JSON)])
    func validDocuments(text: String, expected: JSON) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test(arguments: [
        ("", JSONParseError.Kind.unexpectedEndOfInput), ("   ", .unexpectedEndOfInput), ("[", .unexpectedEndOfInput),
        ("{\"a\":", .unexpectedEndOfInput), ("\"abc", .unexpectedEndOfInput),
        ("tru", .unexpectedEndOfInput), ("nul", .unexpectedEndOfInput),
    ])
    func truncatedInput(text: String, kind: JSONParseError.Kind) {
        #expect(failure(text)?.kind == kind)
    }

    @Test(arguments: ["[1,]", "{\"a\":1,}", "[,1]", "{,}", "[1 2]", "{\"a\" 1}", "{a:1}", "{'a':1}", "['a']", "[1]]", "// c\n1", "/* c */1", "True", "nil", "undefined", "NaN", "Infinity", "-Infinity"])
    func syntaxErrors(text: String) {
        #expect(failure(text) != nil, "\(text) parsed")
    }

    @Test(arguments: [("01", JSONParseError.Kind.leadingZero), ("-01", .leadingZero), ("00", .leadingZero)])
    func leadingZeros(text: String, kind: JSONParseError.Kind) {
        #expect(failure(text)?.kind == kind)
    }

    @Test(arguments: ["1.", "1.e5", ".5", "-", "+1", "1e", "1e+", "1E-", "0x10", "1_000", "-.5", "--1"])
    func malformedNumbers(text: String) {
        #expect(failure(text) != nil, "\(text) parsed")
    }

    @Test(arguments: ["1e400", "-1e400", "1" + String(repeating: "0", count: 400), "1.5e309"])
    func numbersOutOfRange(text: String) {
        #expect(failure(text)?.kind == .numberOutOfRange)
    }

    @Test func tinyNumbersUnderflowToZeroAndAreFine() throws {
        #expect(try JSONParser.parse("1e-400").doubleValue == 0)
    }

    @Test func numberLengthIsLimited() {
        let long = "1" + String(repeating: "0", count: 30)
        #expect(failure(long, options: .init(maxNumberLength: 20))?.kind == .numberTooLong(limit: 20))
    }

    @Test(arguments: [
        ("\"\\x\"", JSONParseError.Kind.invalidEscape), ("\"\\'\"", .invalidEscape), ("\"\\u12\"", .invalidUnicodeEscape),
        ("\"\\u12G4\"", .invalidUnicodeEscape), ("\"\\ud800\"", .loneSurrogate), ("\"\\udc00\"", .loneSurrogate),
        ("\"\\ud800\\u0041\"", .loneSurrogate), ("\"\\udc00\\ud800\"", .loneSurrogate), ("\"\\ud800x\"", .loneSurrogate),
    ])
    func escapeRules(text: String, kind: JSONParseError.Kind) {
        #expect(failure(text)?.kind == kind)
    }

    @Test func allValidEscapesDecode() throws {
        let value = try JSONParser.parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u4e2d\ud83d\ude00""#)
        #expect(value == .string("\"\\/\u{08}\u{0C}\n\r\tAé中😀"))
    }

    @Test func rawControlCharactersInStringsAreErrors() {
        for byte in UInt8(0)..<0x20 {
            let error = failure(bytes: [0x22, byte, 0x22])
            #expect(error?.kind == .controlCharacterInString, "byte \(byte)")
            #expect(error?.offset == 1)
        }
        // DEL is not a control character for JSON.
        #expect(failure(bytes: [0x22, 0x7F, 0x22]) == nil)
    }

    @Test(arguments: [
        [0x22, 0xC3, 0x28, 0x22],  // bad continuation
        [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
        [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // an encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
        [0x22, 0xFF, 0x22],
        [0x22, 0x80, 0x22],  // a lone continuation byte
        [0x22, 0xE2, 0x82, 0x22],  // truncated
        [0x5B, 0xC3, 0x5D],  // outside a string
    ] as [[UInt8]])
    func invalidUTF8IsRejected(bytes: [UInt8]) {
        #expect(failure(bytes: bytes)?.kind == .invalidUTF8)
    }

    @Test func validUTF8Passes() throws {
        let text = "\"aé中😀\u{10FFFF}\u{FFFD}\""
        #expect(try JSONParser.parse(text) == .string("aé中😀\u{10FFFF}\u{FFFD}"))
    }

    @Test func byteOrderMarkIsRejected() {
        #expect(failure(bytes: [0xEF, 0xBB, 0xBF, 0x31])?.kind == .byteOrderMark)
    }

    @Test func duplicateKeysAreRejectedWithTheKey() {
        let error = failure(#"{"id":1,"method":"x","id":2}"#)
        #expect(error?.kind == .duplicateKey("id"))
        #expect(error?.offset == 21)
        #expect(error?.description.contains("duplicate key \"id\"") == true)
    }

    @Test func trailingDataIsRejected() {
        #expect(failure("1 2")?.kind == .trailingData)
        #expect(failure("{} x")?.kind == .trailingData)
        #expect(failure("1x")?.kind == .trailingData)
    }

    @Test func depthLimitIsExact() throws {
        let options = JSONParser.Options(maxDepth: 10)
        let ten = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        let eleven = "[" + ten + "]"
        #expect(failure(ten, options: options) == nil)
        #expect(failure(eleven, options: options)?.kind == .tooDeep(limit: 10))
        let objects = String(repeating: #"{"a":"#, count: 11) + "1" + String(repeating: "}", count: 11)
        #expect(failure(objects, options: options)?.kind == .tooDeep(limit: 10))
    }

    @Test func hugeNestingIsAnErrorNotACrash() {
        #expect(failure(String(repeating: "[", count: 100_000))?.kind == .tooDeep(limit: 128))
        #expect(failure(String(repeating: #"{"a":"#, count: 100_000))?.kind == .tooDeep(limit: 128))
    }

    @Test func inputSizeIsLimited() {
        #expect(failure("[1,2,3]", options: .init(maxInputBytes: 4))?.kind == .tooLarge(limit: 4))
    }

    @Test func errorsSayWhereAndWhat() {
        let error = failure(#"{"a": 1, oops}"#)
        #expect(error?.offset == 9)
        #expect(error?.description == "invalid JSON at byte 9: unexpected 'o', expected a string key")
    }

    @Test func aHundredThousandKeysParseLinearly() async throws {
        // Seconds of CPU in a debug build: off the cooperative pool the other
        // tests share, and timed in this thread's CPU time, not wall time.
        let (parsed, elapsed, duplicate) = try await offPool {
            var text = "{"
            for index in 0..<100_000 { text += "\"k\(index)\":\(index)," }
            text += "\"last\":true}"
            var parsed = JSON.null
            let elapsed = try measureThreadCPUTime { parsed = try JSONParser.parse(text) }
            return (parsed, elapsed, failure(String(text.dropLast()) + ",\"k5\":0}"))
        }
        #expect(parsed.objectValue?.count == 100_001)
        #expect(parsed["k99999"] == 99999)
        #expect(elapsed < .seconds(5), "quadratic somewhere: \(elapsed) of CPU")
        #expect(duplicate?.kind == .duplicateKey("k5"))
    }
}
