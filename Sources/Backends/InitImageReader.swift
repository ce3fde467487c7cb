import Jobs
import Posix

/// Reads the local init images of image-to-image requests, which backends
/// send inline, and the other local files a request names (a ComfyUI
/// workflow): regular files only, at most `maximumBytes`, on a thread of their own
/// and within `timeout`, so that a file that blocks (a FIFO put in place of
/// the image after the submit checked it, a hung network file system) costs
/// the job that named it a clear failure, never a thread of the task pool,
/// an upstream slot, a cancel or a stop.
public final class InitImageReader: Sendable {
    /// How long one read may take before the job is told to try later.
    public let timeout: Duration
    /// Reads abandoned after `timeout` whose thread has not returned yet:
    /// each holds a thread and a descriptor (nothing the queue needs).
    /// Past this many no new read starts, so that a file system that hangs
    /// every read does not pile up a thread per retry.
    public static let maximumUnfinished = 8
    /// The largest local init image read (and sent inline).
    public static let maximumBytes = 8 << 20
    private let read: @Sendable (String, Int) -> Result<[UInt8], FileReadError>
    private let unfinished = UnfinishedThreads(limit: maximumUnfinished)

    /// - Parameters:
    ///   - timeout: how long a read may take.
    ///   - read: how a file is read (`FileSystem.readRegularFile`); tests
    ///     give one that never returns.
    public init(
        timeout: Duration = .seconds(30),
        read: @escaping @Sendable (String, Int) -> Result<[UInt8], FileReadError> = { path, limit in
            Result { () throws(FileReadError) in try FileSystem.readRegularFile(path, maximumBytes: limit) }
        }
    ) {
        self.timeout = timeout
        self.read = read
    }

    /// Reads whose thread has not returned (those under way, and those
    /// abandoned after `timeout`).
    public var unfinishedReads: Int { unfinished.current }

    /// The check at submit: `path` is a regular file this daemon can
    /// read, no larger than is sent, whose first bytes are a PNG, JPEG or
    /// WebP signature. Only the first bytes are read; the run reads the
    /// whole file with the same checks (it may be another file by then).
    ///
    /// - Throws: `ParameterProblem` when the file cannot be used;
    ///   `InitImageUnavailable` when the check cannot be made now.
    public func check(_ path: String) async throws {
        let head = try await bounded(path, "checking") { Self.head(path, maximumBytes: Self.maximumBytes) }
        _ = try Self.format(path, try Self.bytes(path, field: JobField.initImage.wireName, head))
    }

    /// The image at `path`, whole, with its format.
    ///
    /// - Throws: `ParameterProblem` when the file cannot be used (not there,
    ///   not a regular file, too large, not a PNG, JPEG or WebP image): the
    ///   job must be fixed. `InitImageUnavailable` when it could not be read
    ///   now (too slow, an I/O error): the job may try again later.
    ///   `CancellationError` when the task was cancelled.
    public func read(_ path: String) async throws -> FetchedImage {
        let bytes = try await readFile(path, maximumBytes: Self.maximumBytes, field: JobField.initImage.wireName)
        return FetchedImage(bytes: bytes, format: try Self.format(path, bytes))
    }

    /// The regular file at `path`, whole, read as an init image is (on a
    /// thread of its own, within `timeout`).
    ///
    /// - Throws: `ParameterProblem` naming `field` when the file cannot be
    ///   used; `InitImageUnavailable` when it could not be read now;
    ///   `CancellationError`.
    public func readFile(_ path: String, maximumBytes: Int, field: String) async throws -> [UInt8] {
        let read = self.read
        return try Self.bytes(path, field: field, try await bounded(path, "reading", { read(path, maximumBytes) }))
    }

    /// What was read, or the reason it could not be, as the job's problem
    /// or as one of now.
    private static func bytes(_ path: String, field: String, _ read: Result<[UInt8], FileReadError>) throws -> [UInt8] {
        switch read {
        case .success(let bytes):
            return bytes
        case .failure(.system(let error)) where isLasting(error):
            throw ParameterProblem(field: field, message: "cannot read \(path): \(error.reason)")
        case .failure(.system(let error)):
            throw InitImageUnavailable("cannot read \(path) now: \(error.reason)")
        case .failure(let error):
            throw ParameterProblem(field: field, message: error.description)
        }
    }

    /// The format `bytes` (the file's first ones at least) start with.
    private static func format(_ path: String, _ bytes: [UInt8]) throws(ParameterProblem) -> ImageFormat {
        guard let format = ImageFormat(magic: bytes) else {
            throw ParameterProblem(field: "init_images", message: "\(path) is not a PNG, JPEG or WebP image")
        }
        return format
    }

    /// The bytes a signature needs: the longest, WebP's, is 12.
    static let signatureBytes = 12

    /// The first `signatureBytes` of a regular file of at most
    /// `maximumBytes`, opened as `FileSystem.readRegularFile` opens one (a
    /// FIFO cannot make the open wait; the descriptor is what is checked).
    private static func head(_ path: String, maximumBytes: Int) -> Result<[UInt8], FileReadError> {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK)
        } catch {
            return .failure(.system(error))
        }
        defer { try? fd.close() }
        do throws(SystemError) {
            let status = try fd.status()
            guard status.kind == .regular else { return .failure(.notRegularFile(path: path, kind: status.kind)) }
            guard status.size <= Int64(maximumBytes) else { return .failure(.tooLarge(path: path, maximumBytes: maximumBytes)) }
            try fd.setNonBlocking(false)
            var head = [UInt8](repeating: 0, count: signatureBytes)
            var count = 0
            reading: while count < head.count {
                let outcome = try head.withUnsafeMutableBytes { buffer in
                    Result { () throws(SystemError) in try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...])) }
                }.get()
                switch outcome {
                case .bytes(let read): count += read
                case .endOfFile, .wouldBlock: break reading
                }
            }
            return .success(Array(head[0..<count]))
        } catch {
            return .failure(.system(error))
        }
    }

    /// `work` on a thread of its own, counted as unfinished until it
    /// returns, awaited for at most `timeout`.
    private func bounded<T: Sendable>(_ path: String, _ doing: String, _ work: @escaping @Sendable () -> T) async throws -> T {
        let outcome: T?
        do {
            outcome = try await unfinished.run(name: "vc-init-image", within: timeout, work)
        } catch {
            switch error {
            case .cancelled: throw CancellationError()
            case .timedOut(let limit):
                throw InitImageUnavailable("\(doing) \(path) took longer than \(limit.seconds) s (a hung network file system?); try again later")
            case .noThread:
                throw InitImageUnavailable("cannot read \(path): \(error)")
            }
        }
        guard let outcome else {
            throw InitImageUnavailable(
                "\(path): \(Self.maximumUnfinished) earlier reads of init images have not returned (a hung network file system?); not starting another"
            )
        }
        return outcome
    }

    /// Errors that trying again will not cure: the path is wrong or not ours.
    private static func isLasting(_ error: SystemError) -> Bool {
        [ENOENT, ENOTDIR, EACCES, EPERM, ELOOP, EISDIR, ENAMETOOLONG].contains(error.code)
    }
}

/// A local init image that could not be read now (too slow, an I/O error):
/// worth trying again later.
public struct InitImageUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
