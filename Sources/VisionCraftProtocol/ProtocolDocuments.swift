import CProtocolDocuments
import JSON

/// The protocol documents shipped in `Protocol/`, embedded at build time.
package enum ProtocolDocuments {
    /// The bytes of `Protocol/openrpc.json`.
    package static var openRPCBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: cprotocol_openrpc_bytes(), count: cprotocol_openrpc_length())
    }

    /// `Protocol/openrpc.json`, parsed.
    ///
    /// - Throws: `JSONParseError` if the embedded file is not JSON (a build
    ///   error that the protocol tests catch).
    package static func openRPC() throws(JSONParseError) -> JSON {
        try JSONParser.parse(openRPCBytes, options: .init(maxDepth: 256))
    }

    /// The method names the OpenRPC document lists.
    package static func documentedMethodNames() throws(JSONParseError) -> [String] {
        let document = try openRPC()
        return (document["methods"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted()
    }
}
