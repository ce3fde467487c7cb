import JSON
import Testing

@Suite struct JSONSerializerTests {
    @Test func everyControlCharacterIsEscapedAndNothingBreaksTheLine() throws {
        let all = String(decoding: (0..<0x20).map { UInt8($0) } + Array("\"\\/é😀".utf8), as: UTF8.self)
        let bytes = JSONSerializer.serialize(.string(all))
        #expect(!bytes.contains(0x0A))
        #expect(!bytes.contains(0x0D))
        #expect(bytes.allSatisfy { $0 >= 0x20 })
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#""\u0000\u0001"#))
        #expect(text.contains(#"\b\t\n\u000b\f\r"#))
        #expect(text.hasSuffix(#"\"\\/é😀""#))
        #expect(try JSONParser.parse(bytes) == .string(all))
    }

    @Test func compactOutput() {
        let value: JSON = ["a": [1, "two", nil, true], "b": [:], "c": []]
        #expect(JSONSerializer.serializeToString(value) == #"{"a":[1,"two",null,true],"b":{},"c":[]}"#)
        #expect(value.description == #"{"a":[1,"two",null,true],"b":{},"c":[]}"#)
    }

    @Test func prettyOutput() {
        let value: JSON = ["a": [1, 2], "b": [:], "c": ["d": "e"]]
        #expect(JSONSerializer.serializeToString(value, pretty: true) == """
            {
              "a": [
                1,
                2
              ],
              "b": {},
              "c": {
                "d": "e"
              }
            }
            """)
    }

    @Test func roundTripsKeepEverything() throws {
        let text = #"{"k":[1.50,-0,1E+2,"\u0000é😀",{"x":null}],"t":true}"#
        let parsed = try JSONParser.parse(text)
        let written = JSONSerializer.serialize(parsed)
        #expect(try JSONParser.parse(written) == parsed)
        #expect(String(decoding: written, as: UTF8.self) == text)
    }
}
