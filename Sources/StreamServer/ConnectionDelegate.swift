/// The protocol spoken on a connection: receives its bytes and its end.
///
/// Every method is called on the connection's event loop thread, one at a
/// time, so a delegate needs no lock for state only these methods touch.
package protocol ConnectionDelegate: AnyObject, Sendable {
    /// Bytes arrived. They are valid only during the call: copy what you keep.
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer)

    /// The peer closed its sending side (end of file). It may still read:
    /// send outstanding replies, then call `close(afterFlush: true)`.
    func connectionDidReachEndOfInput(_ connection: Connection)

    /// The connection is closed: by either side, or after an error.
    func connectionDidClose(_ connection: Connection)

    /// The queued output fell to the connection's high-water mark or under
    /// it, after being over it: the client read what was queued, so work
    /// held back for room can go on.
    func connectionDidDrainOutput(_ connection: Connection)
}

extension ConnectionDelegate {
    /// Nothing: a protocol that never holds work back needs no call.
    package func connectionDidDrainOutput(_ connection: Connection) {}
}
