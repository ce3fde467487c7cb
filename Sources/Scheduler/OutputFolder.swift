import Jobs
import Posix

/// A job's output folder, made ready when the job is submitted: created
/// with its missing parents (0755), or found to be a folder this daemon
/// may write in, so that a folder that cannot take the images refuses the
/// job before a generation is paid for, not after.
enum OutputFolder {
    /// How long the file system may take to answer (a hung network file
    /// system never does: the submit is refused, the thread abandoned).
    static let timeout: Duration = .seconds(30)
    /// Checks abandoned after `timeout` whose thread has not returned; past
    /// this many no new one starts, so that a folder that hangs every call
    /// does not cost a thread per submit.
    static let maximumUnfinished = 64
    private static let unfinished = UnfinishedThreads(limit: maximumUnfinished)

    /// Creates or checks `path`, on a thread of its own.
    ///
    /// - Throws: `ParameterProblem` for `output_dir`, naming the folder and
    ///   what is wrong with it (or why it cannot be checked now).
    ///   With `ready`, a folder it found ready recently is not checked again,
    ///   and submits that find the same folder under check wait for that
    ///   check instead of starting one each.
    static func prepare(_ path: String, ready: ReadyFolders? = nil) async throws(ParameterProblem) {
        guard let ready else { return try await checkOnThread(path) }
        let now = MonotonicInstant.now()
        if ready.isFresh(path, now: now) { return }
        try await ready.sharing(path) { () async throws(ParameterProblem) in try await checkOnThread(path) }
        ready.record(path, at: now)
    }

    /// `check(path)` on a thread of its own, within `timeout`.
    private static func checkOnThread(_ path: String) async throws(ParameterProblem) {
        let outcome: Result<Void, ParameterProblem>?
        do {
            outcome = try await unfinished.run(name: "vc-output-dir", within: timeout) {
                Result { () throws(ParameterProblem) in try check(path) }
            }
        } catch {
            throw ParameterProblem(field: "output_dir", message: "cannot check the folder \(path) now: \(error); try again")
        }
        guard let outcome else {
            throw ParameterProblem(
                field: "output_dir",
                message: "cannot check the folder \(path) now: \(maximumUnfinished) earlier checks of output folders have not returned (a hung network file system?)"
            )
        }
        try outcome.get()
    }

    /// The blocking part of `prepare`.
    static func check(_ path: String) throws(ParameterProblem) {
        do {
            try FileSystem.makeDirectories(path, permissions: 0o755)
        } catch {
            let at = error.subject.map { $0 == path ? "" : " (at \($0))" } ?? ""
            throw ParameterProblem(field: "output_dir", message: "cannot create the folder \(path): \(error.reason)\(at)")
        }
        let status: FileStatus?
        do {
            status = try FileSystem.status(path)
        } catch {
            throw ParameterProblem(field: "output_dir", message: "cannot use the folder \(path): \(error.reason)")
        }
        guard let status, status.kind == .directory else {
            throw ParameterProblem(field: "output_dir", message: "\(path) is not a folder")
        }
        // W_OK also answers EROFS for a read-only file system, which
        // permission bits do not show (nor do they for root).
        guard access(path, W_OK | X_OK) == 0 else {
            throw ParameterProblem(field: "output_dir", message: "cannot write in the folder \(path): \(SystemError.last("access", path).reason)")
        }
    }
}

/// The output folders found ready, and when: one found ready this recently
/// is taken as ready, since a queue fed from a script submits to one folder
/// many times a second and each check costs a thread. (The save makes the
/// folder again if it went.)
final class ReadyFolders: Sendable {
    /// How long a folder found ready is taken as ready.
    let freshFor: Duration
    /// At most this many are remembered (a fuzzer names a new folder with
    /// every submit).
    static let limit = 1024
    private let checked = Lock<[String: MonotonicInstant]>([:])
    /// The checks under way, by folder: a burst of pipelined submits to a
    /// folder not yet found ready shares one, instead of taking a thread each
    /// (and being refused past `OutputFolder.maximumUnfinished`).
    private let underWay = Lock<(checks: [String: Task<Result<Void, ParameterProblem>, Never>], joined: Int)>(([:], 0))

    /// Callers that found a check under way and waited for it (for tests).
    var callersJoined: Int { underWay.withLock { $0.joined } }

    init(freshFor: Duration = .seconds(10)) {
        self.freshFor = freshFor
    }

    func isFresh(_ path: String, now: MonotonicInstant) -> Bool {
        checked.withLock { $0[path] }.map { $0.duration(to: now) < freshFor } ?? false
    }

    /// The outcome of `check` for `path`: of the one under way for it, if
    /// any, else of a new one, which later callers share until it ends.
    func sharing(_ path: String, _ check: @escaping @Sendable () async throws(ParameterProblem) -> Void) async throws(ParameterProblem) {
        let task = underWay.withLock { underWay in
            if let running = underWay.checks[path] {
                underWay.joined += 1
                return running
            }
            let started = Task { [underWay = self.underWay] () -> Result<Void, ParameterProblem> in
                let outcome: Result<Void, ParameterProblem>
                do throws(ParameterProblem) {
                    try await check()
                    outcome = .success(())
                } catch {
                    outcome = .failure(error)
                }
                underWay.withLock { _ = $0.checks.removeValue(forKey: path) }
                return outcome
            }
            underWay.checks[path] = started
            return started
        }
        try await task.value.get()
    }

    func record(_ path: String, at time: MonotonicInstant) {
        checked.withLock { checked in
            if checked.count >= Self.limit { checked = checked.filter { $0.value.duration(to: time) < freshFor } }
            if checked.count >= Self.limit { checked.removeAll() }
            checked[path] = time
        }
    }
}
