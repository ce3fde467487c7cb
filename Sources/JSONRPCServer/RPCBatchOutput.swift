/// Where a batch's reply goes while its requests run: in pieces, so that a
/// large reply (a batch of lists) is never whole in memory, and so that a
/// request that builds a reply starts only once the client has read what
/// came before it. `RPCSession` provides one per batch.
package protocol RPCBatchOutput: Sendable {
    /// Bytes of the reply to gather before writing them as a piece.
    var pieceSize: Int { get }

    /// Returns once the client has read enough of what was written (the
    /// connection's queued output is at its mark or under), or at once if
    /// the connection is closed.
    func waitForRoom() async

    /// Writes the next piece of the batch's reply line; the piece marked
    /// `last` ends the line. Until then, other replies and notifications on
    /// the connection wait (nothing may land inside the line), and so does
    /// another batch's first piece.
    ///
    /// - Returns: false if the connection is closed (nobody reads the rest).
    func write(_ piece: [UInt8], last: Bool) async -> Bool
}
