import Posix
import Synchronization

/// The asynchronous requests in flight across all of a server's connections,
/// to give memory back after a burst of them.
///
/// Each request in flight holds its task's frames (a submit waiting for its
/// commit holds tens of kilobytes), so a few hundred pipelined at once leave
/// the allocator that much free memory once they finish, which it keeps for
/// later unless told. When the count falls back to zero after it reached
/// `size`, the free pages go back to the system, on a thread of their own
/// (`FreeMemory.returnToSystemSoon()`).
package final class RequestBurst: Sendable {
    /// Requests in flight at once that make a burst.
    package static let size = 64

    private let inFlight = Atomic<Int>(0)
    private let reachedSize = Atomic<Bool>(false)
    private let burstEnded: @Sendable () -> Void

    /// - Parameter burstEnded: what a burst's end does (tests count it).
    package init(burstEnded: @escaping @Sendable () -> Void = { FreeMemory.returnToSystemSoon() }) {
        self.burstEnded = burstEnded
    }

    /// A request started.
    package func started() {
        if inFlight.wrappingAdd(1, ordering: .relaxed).newValue >= Self.size {
            reachedSize.store(true, ordering: .relaxed)
        }
    }

    /// A request finished (after its task freed what it held).
    package func finished() {
        if inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0,
            reachedSize.exchange(false, ordering: .acquiringAndReleasing)
        {
            burstEnded()
        }
    }
}
