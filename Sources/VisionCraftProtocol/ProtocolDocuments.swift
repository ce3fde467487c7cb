import CProtocolDocuments
import JSON

/// The protocol documents shipped in `Protocol/`, embedded at build time.
public enum ProtocolDocuments {
    /// The bytes of `Protocol/openrpc.json`.
    public static var openRPCBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: cprotocol_openrpc_bytes(), count: cprotocol_openrpc_length())
    }

    /// `Protocol/openrpc.json`, parsed.
    ///
    /// - Throws: `JSONParseError` if the embedded file is not JSON (a build
    ///   error that the protocol tests catch).
    public static func openRPC() throws(JSONParseError) -> JSON {
        try JSONParser.parse(openRPCBytes, options: .init(maxDepth: 256))
    }

    /// The method names the OpenRPC document lists.
    public static func documentedMethodNames() throws(JSONParseError) -> [String] {
        let document = try openRPC()
        return (document["methods"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted()
    }
}
