import Harness

extension SandboxedDaemon {
    /// A daemon with nothing to run: no key, and an upstream that refuses
    /// (the discard port), so every job stays queued and what a campaign
    /// measures is the daemon's own work (queue, store, events, memory), not
    /// generation.
    static func startIdle(_ binaries: Binaries, folder: String) throws -> SandboxedDaemon {
        try start(binaries, folder: folder, arguments: ["--upstream", "http://127.0.0.1:9"])
    }
}
