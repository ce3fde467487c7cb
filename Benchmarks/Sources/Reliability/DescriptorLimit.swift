import Posix

/// The process's limit on open descriptors, for campaigns that hold
/// hundreds of connections.
enum DescriptorLimit {
    /// Lifts the soft limit toward `count` (within the hard limit).
    static func raise(to count: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(count) else { return }
        limit.rlim_cur = min(limit.rlim_max, rlim_t(count))
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
