import CPosix

/// A thread's alternate signal stack (`sigaltstack(2)`): where the
/// fatal-signal handler (`Signals.recordFatalSignals`) runs when the thread
/// has used up its own stack, so that a stack overflow is recorded as a
/// crash instead of ending the process as silently as a kill. A thread gets
/// none by default; `OSThread` gives every thread it starts one.
public struct AlternateSignalStack: @unchecked Sendable {
    // The mapping's address; used only by the thread that installed it.
    private let mapping: UnsafeMutableRawPointer

    /// Gives the calling thread an alternate signal stack; nil when it has
    /// one already (kept) or none could be mapped (the thread runs without).
    public static func install() -> AlternateSignalStack? {
        cposix_install_alternate_signal_stack().map { AlternateSignalStack(mapping: $0) }
    }

    /// Removes it and frees its memory. Call on the same thread, when
    /// nothing can be delivered on it any more (as the thread ends).
    public func remove() {
        cposix_remove_alternate_signal_stack(mapping)
    }
}
