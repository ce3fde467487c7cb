import Posix
import Testing
import TestSupport

@Suite struct PollerTests {
    @Test func reportsReadabilityWithTheRegisteredToken() throws {
        let poller = try Poller()
        let (a, b) = try UnixSocket.pair()
        defer {
            try? a.close()
            try? b.close()
        }
        try poller.add(a, token: 42, interest: .readable)
        var events: [Poller.Event] = []
        try poller.wait(into: &events, timeout: .zero)
        #expect(events.isEmpty)

        try UnixSocket.sendAll(b, [1, 2, 3])
        try poller.wait(into: &events, timeout: TestTime.scaled(.seconds(5)))
        #expect(events == [Poller.Event(token: 42, readable: true, writable: false, hangup: false)])
    }

    @Test func modifyingInterestReportsWritability() throws {
        let poller = try Poller()
        let (a, b) = try UnixSocket.pair()
        defer {
            try? a.close()
            try? b.close()
        }
        try poller.add(a, token: 7, interest: .readable)
        try poller.modify(a, token: 8, interest: [.readable, .writable])
        var events: [Poller.Event] = []
        try poller.wait(into: &events, timeout: TestTime.scaled(.seconds(5)))
        #expect(events.count == 1)
        #expect(events.first?.token == 8)
        #expect(events.first?.writable == true)

        try poller.remove(a)
        try poller.wait(into: &events, timeout: .zero)
        #expect(events.isEmpty)
    }

    @Test func peerCloseIsReportedAsReadableOrHangup() throws {
        let poller = try Poller()
        let (a, b) = try UnixSocket.pair()
        defer { try? a.close() }
        try poller.add(a, token: 1, interest: .readable)
        try b.close()
        var events: [Poller.Event] = []
        try poller.wait(into: &events, timeout: TestTime.scaled(.seconds(5)))
        #expect(events.count == 1)
        #expect(events.first.map { $0.readable || $0.hangup } == true)
    }

    @Test func notifierWakesAWaitAndDrains() throws {
        let poller = try Poller()
        let notifier = try EventNotifier()
        try poller.add(notifier.readDescriptor, token: 0, interest: .readable)
        notifier.notify()
        notifier.notify()
        var events: [Poller.Event] = []
        try poller.wait(into: &events, timeout: TestTime.scaled(.seconds(5)))
        #expect(events.map(\.token) == [0])
        notifier.drain()
        try poller.wait(into: &events, timeout: .zero)
        #expect(events.isEmpty)
    }

    @Test func waitTimesOut() throws {
        let poller = try Poller()
        var events: [Poller.Event] = [Poller.Event(token: 9, readable: true, writable: true, hangup: true)]
        let clock = ContinuousClock()
        let elapsed = try clock.measure { try poller.wait(into: &events, timeout: .milliseconds(20)) }
        #expect(events.isEmpty)
        #expect(elapsed >= .milliseconds(15))
    }
}
