/// What profiles and one-off measurements found, which the code's comments
/// point to instead of carrying the figures: the "Notes from profiles" part
/// of BENCHMARKS.md, which `visioncraft-bench report` writes again with the
/// rest. Figures from the machine they were taken on, at the time; a change
/// that makes one wrong updates it here.
enum ProfileNotes {
    static let title = "Notes from profiles"

    /// One Markdown item each.
    static let items: [String] = [
        "**Next retry time** (JobStore): the partial index `jobs_by_retry` answers `min(next_attempt_at)` from its first entry: "
            + "5 us instead of 0.8 ms for the planner's scan of the queue by state, at 5,000 jobs queued.",
        "**Short job ids** (JobStore, migration 7): `job.get` by the last 8 characters of an id, a scan of the ids, took "
            + "18.0 ms p50 at 100,000 jobs against 0.29 ms by whole id, holding the store's thread as long; an index of each "
            + "id's last 8 makes it a lookup.",
        "**Prompt index** (JobStore, schema 4): with a trigger per insert (and a savepoint per operation, where FTS5 flushes), "
            + "every submit wrote an FTS segment and durable submits ran at half speed; prompts are now indexed in batches.",
        "**Stored parameters** (`job.list`): decoding, checking and encoding each job's stored parameters again for every job "
            + "of every `job.list` was most of that method's time; they are handed out as stored.",
        "**Database check** (JobStore): the quick check, run on the store's own connection, left it holding 60 MB more after "
            + "a burst of large listings (`visioncraft-reliability memory`); it runs on a connection of its own.",
        "**Clock** (Posix): `ContinuousClock` in the static vcctl links the concurrency runtime and libdispatch: 33 more page "
            + "faults, and a trivial program's start went from 0.6 ms to 0.8 ms; `MonotonicInstant` reads `CLOCK_MONOTONIC`.",
        "**PNG filters** (Imaging): `PNG_FILTER_NONE` encodes six times faster than libpng's adaptive choice for a 512x512 "
            + "picture of flat shapes, for a file about 15% larger.",
        "**Queue position** (JobStore): a submit's position counted up to 1,000 queued jobs ahead on an index, about 95 us "
            + "of each submit on the store's thread once the queue was that long; `insert` now takes it from the previous "
            + "job's when nothing else was written since (`SQLiteConnection.writeStamp`).",
        "**Dispatcher** (Scheduler): with no lane able to start a job (no key, every backend full), each submit still woke "
            + "the dispatcher for a second transaction, which also switched the commits' syncing off and on; it now waits "
            + "for a lane to open. Single-client durable submits went from about 1.6k/s to 1.95k/s.",
        "**Start-up order** (vcctl): lld lays out the functions the everyday commands run together "
            + "(`Sources/vcctl/startup.order`, from `.ci/startup-order`'s callgrind runs): page faults of `vcctl status` "
            + "145 to 112, `list --limit 20` 179 to 149, `--version` 116 to 95, about 8% of status's wall time. Building "
            + "only the command that runs saved 11% of a status before that.",
        "**Memory after a burst** (Posix, JSONRPCServer): 100,000 pipelined submits left the daemon with 28.9 MB of "
            + "anonymous memory, 3.1 MB of it in use (mallinfo2): their tasks' async frames, about 30 KB a submit in flight "
            + "(heaptrack), freed into a glibc arena per pool thread. One arena per core and `malloc_trim` once the requests "
            + "in flight fall to none after 64 (`RequestBurst`) leave 11.0 MB (`visioncraft-reliability growth`).",
        "**Generic calls across modules** (JSONRPC): `FieldReader.required`, unspecialized from another module, took about "
            + "600 instructions a call, 140 calls in a `vcctl list --limit 20`; inlinable, it is specialized where it is "
            + "called (1.36M to 1.25M instructions for the list).",
        "**Tuples and generic string algorithms at start** (vcctl): the runtime builds a tuple type's metadata from its "
            + "mangled name on first use, and `replacing(_:with:)` runs _StringProcessing's generic machinery: structs and "
            + "spelled-out flag names took `vcctl submit` from 1.03M to 634k instructions. Building with "
            + "`-prespecialize-generic-metadata` saved a further 9% of a status (not adopted: a frontend flag, release only).",
        "**Listing summaries** (JobStore): `job.list` with `summary` read whole jobs (a query for the page, then one for "
            + "each job's labels and one for its images: 41 for 20 jobs) and cut them down; one query with the saved images "
            + "counted in it took a page of 20 from 331 to 248 us p50 (1 connection, 300 jobs).",
        "**Thread hops per request** (Posix, JSONRPCServer, JobStore): a request's task went socket loop -> pool -> store "
            + "thread -> pool -> send, and perf showed two thirds of the daemon's time in the kernel waking threads "
            + "(try_to_wake_up, futex). `HandOffExecutor` starts the task on the loop and continues it on the store thread "
            + "that committed its work: old and new daemons in one run, `job.get` 309-430 to 153-170 us p50, `job.list` of "
            + "20 summaries 328-424 to 191-210 us, `job.submit` 461-608 to 384-435 us. Only a lone operation with nothing "
            + "queued behind it is answered from the store thread: replies built there under load held the commits up (16 "
            + "clients' submits 10.9k/s to 8.1k/s, at parity once they go to the pool).",
    ]

    /// The part as Markdown lines, from its heading to its last item.
    static var markdown: [String] {
        ["## \(title)", ""] + items.map { "- " + $0 }
    }
}
