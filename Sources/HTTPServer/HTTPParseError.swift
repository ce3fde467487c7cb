/// Why bytes are not an acceptable HTTP/1.x request: the status to answer
/// with (then the connection is closed) and a message for the body.
package struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    package let status: HTTPStatus
    package let message: String

    package init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    package var description: String { "\(status): \(message)" }
}
