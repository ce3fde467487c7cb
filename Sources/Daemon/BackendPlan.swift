import ComfyUIAPI
import Configuration
import Jobs
import Posix

/// A backend the daemon is to run, as its settings resolve: from
/// `[backends.NAME]`, or, when the configuration names none, the one
/// VisionCraft backend `--upstream`, `VISIONCRAFT_UPSTREAM` or `upstream.url`
/// selects.
struct BackendPlan: Sendable, Equatable {
    var name: String
    var kind: BackendSettings.Kind
    var selection: UpstreamSelection
    /// Its requests at once; nil: its kind's default (`queue.max_in_flight`
    /// for the implicit backend).
    var maximumInFlight: Int?
    /// Nil: `queue.requests_per_minute`.
    var requestsPerMinute: Int?
    /// The most images a day and a month.
    var caps = ImageCaps()
    /// Its own attempts and first retry bound; nil: the queue's.
    var maxAttempts: Int?
    var retryBase: Double?
    /// The workflow file its jobs run (a comfyui backend's), checked.
    var workflow: String?

    /// The backends `settings` name, and the default's name.
    ///
    /// - Parameters:
    ///   - upstreamFlag: `--upstream` (or `--emulator`), and
    ///     `configuredUpstream`, the file's `upstream.url`: each names the
    ///     implicit backend only.
    /// - Throws: `DaemonError` (`.configuration`) for a wrong URL, for
    ///   an upstream flag or `upstream.url` beside `[backends.*]`, or for a
    ///   workflow file that cannot be used (`checkWorkflows`).
    static func resolve(
        _ settings: Settings, upstreamFlag: String?, configuredUpstream: String?, environment: (String) -> String?
    ) throws(DaemonError) -> (plans: [BackendPlan], defaultName: String) {
        do {
            guard !settings.backends.isEmpty else {
                let selection = try UpstreamSelection.resolve(flag: upstreamFlag, configured: configuredUpstream, environment: environment)
                return ([BackendPlan(name: JobField.implicitBackend, kind: .visioncraft, selection: selection)], JobField.implicitBackend)
            }
            try checkWorkflows(settings)
            let names = settings.backends.map(\.name).joined(separator: ", ")
            if upstreamFlag != nil {
                throw DaemonError(
                    .configuration,
                    "--upstream and --emulator name the one backend of a daemon whose configuration names none; this one names backends (\(names)): give each its url in [backends.NAME]"
                )
            }
            if configuredUpstream != nil {
                throw DaemonError(.configuration, "upstream.url is for a configuration that names no backends; this one names \(names): give each its url in [backends.NAME]")
            }
            let plans = try settings.backends.map { backend throws(UpstreamSelectionError) in
                BackendPlan(
                    name: backend.name, kind: backend.kind,
                    selection: try UpstreamSelection(parsing: backend.url, source: "\(BackendSettings.section).\(backend.name).url"),
                    maximumInFlight: backend.maxInFlight, requestsPerMinute: backend.requestsPerMinute, caps: backend.caps,
                    maxAttempts: backend.maxAttempts, retryBase: backend.retryBase, workflow: backend.workflow
                )
            }
            return (plans, settings.defaultBackend ?? plans[0].name)
        } catch let error as UpstreamSelectionError {
            throw DaemonError(.configuration, error.description)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError(.configuration, "\(error)")
        }
    }

    /// Reads and checks the workflow file of each backend that names one
    /// (at start, `--check-config` and `daemon reload`): a typo in the
    /// path, or a file saved in ComfyUI's UI format, is told before any job
    /// is refused for it. Jobs read the file again, so an edit applies
    /// without a restart.
    ///
    /// - Throws: `DaemonError` (`.configuration`) naming the backend's
    ///   section and line, the file, and what is wrong (the node).
    static func checkWorkflows(_ settings: Settings) throws(DaemonError) {
        for backend in settings.backends {
            guard let path = backend.workflow else { continue }
            let key = "\(BackendSettings.section).\(backend.name).workflow (line \(backend.workflowLine))"
            let bytes: [UInt8]
            do {
                bytes = try FileSystem.readRegularFile(path, maximumBytes: ComfyUIWorkflow.maximumBytes)
            } catch {
                throw DaemonError(.configuration, "\(key): cannot read the workflow: \(error)")
            }
            do {
                _ = try ComfyUIWorkflow(parsing: bytes, source: path)
            } catch {
                throw DaemonError(.configuration, "\(key): \(error)")
            }
        }
    }
}
