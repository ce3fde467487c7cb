/// Why a websocket could not be opened or went on no longer, in words a
/// user can act on (which server, what it did).
package struct WebSocketError: Error, Equatable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// The URL is not one this client opens (only `ws://`).
        case unsupportedURL
        /// The TCP connection failed or broke.
        case connection
        /// The server did not switch protocols as RFC 6455 asks.
        case handshake
        /// A frame broke RFC 6455 (bad opcode, unmasked, fragmented control frame ...).
        case protocolViolation
        /// A frame or message was larger than the limit.
        case tooLarge
        /// The peer closed the websocket (the close frame's code, if any).
        case closed(code: UInt16?)
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}
