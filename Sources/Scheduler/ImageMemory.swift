import Posix

/// The daemon-wide budget of bytes for decoded images: every image that
/// goes through image plugins holds, from before it is decoded until it is
/// encoded, the most its chain will have in memory at once (see
/// `ImageSaver`). One that does not fit waits, first come first served, so
/// jobs in flight together never hold more than the budget; a wait ends
/// early only when its task is cancelled.
final class ImageMemory: Sendable {
    /// Bytes in all.
    let capacity: Int

    private struct Waiter {
        let id: UInt64
        let bytes: Int
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var inUse = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state = Lock(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Bytes held now (more than `capacity` only after `grow`).
    var inUse: Int { state.withLock { $0.inUse } }

    /// Takes `bytes` (at most `capacity`), waiting behind the holders and
    /// earlier waiters until they fit; `waiting` is called once if it has
    /// to wait, with the bytes in use then.
    ///
    /// - Throws: `CancellationError` when the task is cancelled before the
    ///   bytes are taken (none are held then).
    func reserve(_ bytes: Int, waiting: (Int) -> Void = { _ in }) async throws(CancellationError) {
        precondition(bytes >= 0 && bytes <= capacity, "a reservation larger than the budget never fits")
        if Task.isCancelled { throw CancellationError() }
        let (id, busy) = state.withLock { state -> (UInt64, Int?) in
            if state.waiters.isEmpty, state.inUse + bytes <= capacity {
                state.inUse += bytes
                return (0, nil)
            }
            state.nextID += 1
            return (state.nextID, state.inUse)
        }
        guard let busy else { return }
        waiting(busy)
        let granted = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer = state.withLock { state -> Bool? in
                    if Task.isCancelled { return false }
                    state.waiters.append(Waiter(id: id, bytes: bytes, continuation: continuation))
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
                // The holders may all have gone between the first look and now.
                grant()
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(returning: false)
            // Who waited behind it may fit now.
            grant()
        }
        if !granted { throw CancellationError() }
    }

    /// Takes `bytes` more at once, past the budget if need be (what a plugin
    /// without a plan returned is in memory already); later reservations
    /// wait until it is given back.
    func grow(by bytes: Int) {
        state.withLock { $0.inUse += bytes }
    }

    /// Gives back `bytes` taken by `reserve` or `grow`.
    func release(_ bytes: Int) {
        state.withLock { state in
            state.inUse -= bytes
            precondition(state.inUse >= 0, "more image memory given back than taken")
        }
        grant()
    }

    /// Hands the bytes to the waiters at the front that fit, in order.
    private func grant() {
        let ready = state.withLock { state -> [Waiter] in
            var ready: [Waiter] = []
            while let first = state.waiters.first, state.inUse + first.bytes <= capacity {
                state.inUse += first.bytes
                ready.append(state.waiters.removeFirst())
            }
            return ready
        }
        for waiter in ready { waiter.continuation.resume(returning: true) }
    }
}
