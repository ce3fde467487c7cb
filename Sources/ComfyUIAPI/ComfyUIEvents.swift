import Backends
import Posix
import WebSocket

/// ComfyUI's websocket (`/ws?clientId=`), read for the prompts being
/// followed, so that a job's events say how far ComfyUI is
/// (`ComfyUIProgressTracker`). Progress is a courtesy: the socket never
/// fails or delays a job, and polling `/history` (`ComfyUIClient.follow`)
/// stays what tells that a prompt is done.
///
/// The socket is opened when a prompt is first followed, from a thread of
/// its own (the reads block), opened again with a growing pause when it
/// drops, and closed a little while after the last prompt stopped being
/// followed. ComfyUI keeps one socket per client id: a second daemon, or
/// a second backend on the same server, with the same id takes the events
/// over. For an `https://` base URL no socket is opened (no TLS library is
/// at hand): such a backend reports no progress.
package final class ComfyUIEvents: Sendable {
    package struct Configuration: Sendable {
        /// For the TCP connect and for the handshake each.
        package var connectTimeout: Duration
        /// The first pause after the socket failed; it doubles up to `maximumBackoff`.
        package var initialBackoff: Duration
        package var maximumBackoff: Duration
        /// How long the socket stays open once no prompt is followed:
        /// `follow` is called again at once when its window ends.
        package var linger: Duration

        package init(
            connectTimeout: Duration = .seconds(5), initialBackoff: Duration = .milliseconds(500), maximumBackoff: Duration = .seconds(30),
            linger: Duration = .seconds(5)
        ) {
            self.connectTimeout = connectTimeout
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.linger = linger
        }
    }

    /// The largest message read: ComfyUI's text messages are small, but
    /// `executed` lists outputs and previews are images.
    static let maximumMessageBytes = 8 << 20

    /// `ws://HOST:PORT/ws?clientId=ID`; nil for a base URL that is not http://.
    package let url: String?
    package let configuration: Configuration
    private let state = ThreadCondition(State())

    private struct State: Sendable {
        /// Prompt id -> how many `follow` calls wait on it now.
        var followers: [String: Int] = [:]
        /// Prompts no longer followed, and since when: forgotten after `linger`.
        var released: [String: MonotonicInstant] = [:]
        var tracker = ComfyUIProgressTracker()
        var readerRunning = false
        var connected = false
        /// Why the socket last failed, for the log and the tests.
        var lastFailure: String?
        var isIdle: Bool { followers.isEmpty && released.isEmpty }
    }

    /// - Parameters:
    ///   - baseURL: ComfyUI's `http://HOST:PORT` (with any path prefix).
    ///   - clientID: the `client_id` prompts are queued with: ComfyUI sends
    ///     a prompt's events to the socket of that id.
    package init(baseURL: String, clientID: String, configuration: Configuration = Configuration()) {
        url = baseURL.hasPrefix("http://") ? "ws://" + baseURL.dropFirst("http://".count) + "/ws?clientId=" + ComfyUIClient.percentEncoded(clientID) : nil
        self.configuration = configuration
    }

    /// Prompt `id` is being followed: its events are read from now on.
    package func follow(_ id: String) {
        let start = state.update { state -> Bool in
            state.followers[id, default: 0] += 1
            state.released[id] = nil
            guard url != nil, !state.readerRunning else { return false }
            state.readerRunning = true
            return true
        }
        guard start else { return }
        do {
            try OSThread.spawn(name: "vc-comfyui-ws") { [self] in read() }.detach()
        } catch {
            state.update {
                $0.readerRunning = false
                $0.lastFailure = "\(error)"
            }
        }
    }

    /// One `follow(id)` is over.
    package func release(_ id: String) {
        state.update { state in
            guard let count = state.followers[id] else { return }
            if count > 1 {
                state.followers[id] = count - 1
            } else {
                state.followers[id] = nil
                state.released[id] = .now()
            }
        }
    }

    /// How far the followed prompt is; nil when it cannot be told: no
    /// event counted its steps yet, or several prompts are followed at
    /// once (the scheduler does not say for which job it asks).
    package func progress() -> GenerationProgress? {
        state.read { state in
            guard state.followers.count == 1, let id = state.followers.keys.first else { return nil }
            return state.tracker.progress(of: id)
        }
    }

    /// Whether the socket is open now.
    package var isConnected: Bool { state.read { $0.connected } }

    /// Why the socket last failed to open or broke; nil when it never did.
    package var lastFailure: String? { state.read { $0.lastFailure } }

    // MARK: The reader thread

    private func read() {
        guard let url else { return }
        var backoff = configuration.initialBackoff
        while forgetReleased() {
            let client: WebSocketClient
            do {
                client = try WebSocketClient.connect(url, timeout: configuration.connectTimeout, maximumMessageBytes: Self.maximumMessageBytes)
            } catch {
                state.update { $0.lastFailure = error.message }
                // Woken early when nothing is followed any more.
                state.wait(timeout: backoff) { $0.isIdle }
                backoff = min(backoff * 2, configuration.maximumBackoff)
                continue
            }
            state.update { $0.connected = true }
            backoff = configuration.initialBackoff
            do {
                while forgetReleased() {
                    // A bounded wait, so that the socket closes once idle.
                    guard case .text(let text)? = try client.receive(timeout: .seconds(1)) else { continue }
                    state.update { state in
                        state.tracker.take(text)
                        state.tracker.keep(Set(state.followers.keys).union(state.released.keys))
                    }
                }
                client.close()
            } catch {
                state.update { $0.lastFailure = error.message }
            }
            state.update { $0.connected = false }
        }
    }

    /// Forgets the prompts released more than `linger` ago; whether any
    /// prompt is still followed or released (else the reader ends, in the
    /// same step, so that `follow` starts another).
    private func forgetReleased() -> Bool {
        state.update { state in
            let now = MonotonicInstant.now()
            for (id, since) in state.released where since.duration(to: now) >= configuration.linger {
                state.released[id] = nil
                state.tracker.forget(id)
            }
            if state.isIdle { state.readerRunning = false }
            return !state.isIdle
        }
    }
}
