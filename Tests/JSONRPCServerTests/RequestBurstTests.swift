import JSONRPCServer
import Synchronization
import Testing

/// The server gives memory back once a burst of requests has finished:
/// only when as many as `RequestBurst.size` were in flight at once, and
/// only once the last of them is done.
@Suite struct RequestBurstTests {
    @Test func aBurstEndsWhenItsLastRequestFinishes() {
        let ends = Atomic<Int>(0)
        let burst = RequestBurst { ends.wrappingAdd(1, ordering: .relaxed) }
        for _ in 0..<(RequestBurst.size - 1) { burst.started() }
        for _ in 0..<(RequestBurst.size - 1) { burst.finished() }
        #expect(ends.load(ordering: .relaxed) == 0, "one fewer than a burst at once")

        for _ in 0..<RequestBurst.size { burst.started() }
        for _ in 0..<(RequestBurst.size - 1) { burst.finished() }
        #expect(ends.load(ordering: .relaxed) == 0, "one still in flight")
        burst.finished()
        #expect(ends.load(ordering: .relaxed) == 1)

        burst.started()
        burst.finished()
        #expect(ends.load(ordering: .relaxed) == 1, "a lone request after the burst")
    }
}
