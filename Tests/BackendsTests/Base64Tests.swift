import Testing
import Backends
import Base64Coding

@Suite struct Base64Tests {
    @Test func decodingUndoesEncodingForEveryLengthOfTail() {
        for length in 0..<10 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 200) }
            let encoded = Base64.encode(bytes)
            #expect(Base64.decode(encoded) == bytes, "\(length) bytes")
            #expect(Base64.decode(encoded.filter { $0 != "=" }) == bytes, "\(length) bytes, padding left out")
        }
        #expect(Base64.decode("YWxpY2U6czNjcmV0LXBhc3M=") == Array("alice:s3cret-pass".utf8))
    }

    @Test func whatNoEncoderWritesIsRefused() {
        for text in ["***", "QUJD\n", "QQ=A", "Q", "QUJDR", "QUJD=", "QQ==="] {
            #expect(Base64.decode(text) == nil, "\(text)")
        }
    }
}
