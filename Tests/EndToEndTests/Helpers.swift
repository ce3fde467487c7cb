import Imaging
import JSON
import Posix
import Testing
import TestSupport

/// Parses a reply line; fails the test with the line when it is not JSON.
func parse(_ line: String) throws -> JSON {
    do {
        return try JSONParser.parse(line)
    } catch {
        throw TestFailure("not JSON (\(error)): \(line)")
    }
}

/// The `error.code` of a reply, or nil.
func errorCode(_ reply: JSON) -> Int? { reply["error"]?["code"]?.intValue }

/// The `error.data.reason` of a reply, or nil.
func errorReason(_ reply: JSON) -> String? { reply["error"]?["data"]?["reason"]?.stringValue }

/// Runs a body against a fresh daemon (off the cooperative pool), then
/// stops the daemon and removes its folder.
func withDaemon<T: Sendable>(
    arguments: [String] = ["--enable-test-methods"],
    _ body: @escaping @Sendable (DaemonProcess) throws -> T
) async throws -> T {
    let daemon = try await offPool { try DaemonProcess.start(arguments: arguments) }
    defer { daemon.cleanUp() }
    return try await offPool { try body(daemon) }
}

/// Checks that `path` is a saved image: under `folder` (when given), a PNG
/// file by its signature, and decodable.
func expectSavedPNG(_ path: String, under folder: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
    if let folder {
        #expect(path.hasPrefix(folder), "\(path) is not under \(folder)", sourceLocation: sourceLocation)
    }
    let bytes = try FileSystem.readFile(path)
    #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(path) is not a PNG", sourceLocation: sourceLocation)
    #expect(try PNGCodec.decode(bytes).image.width > 0, sourceLocation: sourceLocation)
}
