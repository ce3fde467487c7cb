import CPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Memory the allocator holds free, handed back to the system.
///
/// glibc's malloc keeps what a program frees in its arenas (one per thread
/// that allocated, up to eight per core) for later allocations, so a burst of
/// large replies leaves the process that much bigger after the memory is
/// freed. Two things give it back: limits on what an arena keeps
/// (`limitWhatArenasKeep()`), and `malloc_trim` for the free pages inside
/// them (`returnToSystem()`).
public enum FreeMemory {
    /// Blocks from this size up are mapped on their own, and unmapped when
    /// freed. Smaller ones (a reply of a few hundred jobs) come from the
    /// arenas, whose reuse saves the page faults of fresh memory.
    private static let ownMappingBytes = 4 << 20
    /// Free memory past this at an arena's end goes back to the system when
    /// a block next to it is freed: four blocks of the size above.
    private static let keptAtArenaEndBytes = 16 << 20

    /// Caps glibc's arenas at one per core (at least two) and fixes its
    /// mapping and trim thresholds.
    ///
    /// Left to itself, glibc gives each thread that allocates an arena of
    /// its own, up to eight per core, and what is freed in one arena serves
    /// only that one: after a burst of requests served by the task pool's
    /// threads, each of their arenas holds its share free. It also raises
    /// the thresholds after every large free (the mapping threshold to the
    /// freed block's size, up to 32 MiB, the trim threshold to twice that),
    /// so after a burst of large replies each arena keeps tens of megabytes
    /// free at its end, which `malloc_trim` does not touch (it trims only
    /// the main arena's end). Lower limits give back more but fault in
    /// fresh pages for every large reply. Nothing off glibc. Call once,
    /// early.
    public static func limitWhatArenasKeep() {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        cposix_fix_malloc_thresholds(ownMappingBytes, keptAtArenaEndBytes, Int32(max(2, cores)))
    }

    /// Calls to `returnToSystemSoon()` not yet served by a run.
    private static let requests = Atomic<Int>(0)

    /// Returns the allocator's free pages to the system: `malloc_trim(0)`
    /// with glibc (every arena, pages inside the heap too),
    /// `malloc_zone_pressure_relief` on Darwin; nothing on Musl, whose
    /// allocator returns freed memory itself.
    ///
    /// - Important: it walks every arena under its lock, so it costs time in
    ///   proportion to the heap and delays allocations meanwhile: call it after
    ///   a burst of large allocations was freed, not after every small one.
    public static func returnToSystem() {
        cposix_release_free_memory()
    }

    /// `returnToSystem()` on a thread of its own, for callers on an event
    /// loop or on Swift's pool, which must not spend that time. Calls made
    /// while a run is under way share one more run after it.
    public static func returnToSystemSoon() {
        guard requests.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue == 0 else { return }
        let thread = try? OSThread.spawn(name: "vc-free-memory", stackSize: 64 << 10) {
            var served = requests.load(ordering: .acquiring)
            while true {
                returnToSystem()
                let (done, newer) = requests.compareExchange(expected: served, desired: 0, ordering: .acquiringAndReleasing)
                if done { return }
                served = newer
            }
        }
        if let thread {
            thread.detach()
        } else {
            // No thread to be had: the caller's time is the lesser evil.
            returnToSystem()
            requests.store(0, ordering: .releasing)
        }
    }
}
