import Jobs
import JobStore
import JSON
import JSONRPC
import JSONRPCServer
import Posix
import Scheduler
import VisionCraftProtocol

/// The job queue's methods (`job.*`, `key.*`) over the scheduler and the
/// backends' keys: the scheduler's values become wire types here.
struct QueueMethods: Sendable {
    let scheduler: JobScheduler
    let keys: KeyRing
    let subscriptions: EventSubscriptions

    /// The longest page of summaries built on the store's thread (about
    /// 20 KB of reply; `vcctl list` asks for 20): a longer one, or a page
    /// of whole jobs, is built on the pool instead (see `HandOffExecutor`).
    static let summariesBuiltInPlace = 100

    /// Every `job.*` method but `job.list` waits (for the store's thread, a
    /// commit, a job) and answers with one job: `.waiting`. `job.list`
    /// builds a page of up to 1,000 jobs, each with up to 32 KiB of prompts:
    /// `.building`.
    func register(in table: inout RPCMethodTable) {
        let scheduler = self.scheduler
        let keys = self.keys
        table.register(JobSubmit.self, .waiting) { parameters, _ in
            let submitted = try await Self.mapped { try await scheduler.submit(parameters) }
            return JobSubmit.Result(
                id: submitted.id, state: submitted.state, position: submitted.position, existing: submitted.existing, ids: submitted.ids
            )
        }
        table.register(JobGet.self, .waiting) { parameters, _ in
            try await Self.mapped { try await scheduler.job(scheduler.resolve(parameters.id)) }.info
        }
        table.register(JobCancel.self, .waiting) { parameters, _ in
            try await Self.mapped { try await scheduler.cancel(scheduler.resolve(parameters.id)) }.info()
        }
        table.register(JobRetry.self, .waiting) { parameters, _ in
            try await Self.mapped { try await scheduler.retry(scheduler.resolve(parameters.id)) }.info
        }
        table.register(JobDelete.self, .waiting) { parameters, _ in
            let deletion = try await Self.mapped {
                var ids: [String]?
                if let given = parameters.ids {
                    ids = []
                    for id in given { ids?.append(try await scheduler.resolve(id)) }
                }
                return try await scheduler.delete(ids: ids, olderThanSeconds: parameters.olderThanSeconds ?? 0, files: parameters.files)
            }
            return JobDelete.Result(deleted: deletion.deleted, filesRemoved: deletion.filesRemoved, fileErrors: deletion.fileErrors)
        }
        table.register(JobWait.self, .waiting) { parameters, _ in
            let outcome = try await Self.mapped {
                try await scheduler.wait(scheduler.resolve(parameters.id), timeout: .milliseconds(Int64(parameters.timeoutSeconds * 1000)))
            }
            return JobWait.Result(job: outcome.job.info, timedOut: outcome.timedOut)
        }
        table.register(JobList.self) { parameters, _ in
            if parameters.summary {
                let page = try await Self.mapped { try await scheduler.summaries(parameters) }
                // A listing's page is built on the store's thread, where it was read; a long one on the pool.
                if page.jobs.count > Self.summariesBuiltInPlace { await HandOffExecutor.continueOnPool() }
                return JobList.Result(summaries: page.jobs.map(\.summary), next: page.next)
            }
            let page = try await Self.mapped { try await scheduler.list(parameters) }
            // Whole jobs: each one's stored parameters are parsed.
            await HandOffExecutor.continueOnPool()
            return JobList.Result(jobs: page.jobs.map { $0.info() }, next: page.next)
        }
        let subscriptions = self.subscriptions
        table.register(EventsSubscribe.self) { _, context in
            guard let session = context.session else { throw RPCError.invalidRequest("events need a connection to arrive on") }
            subscriptions.subscribe(session)
            return SubscriptionResult(subscribed: true)
        }
        table.register(EventsUnsubscribe.self) { _, context in
            subscriptions.unsubscribe(context.connectionID)
            return SubscriptionResult(subscribed: false)
        }
        table.register(KeyStatus.self) { parameters, _ in Self.status(try Self.vault(parameters.backend, in: keys)) }
        // The key file is written (and fsynced) on a thread of its own:
        // never on the event loop, nor on the task pool.
        table.register(KeyClear.self, .waiting) { parameters, _ in
            let vault = try Self.vault(parameters.backend, in: keys)
            return try await onOwnThread(name: "vc-key-file") { () throws -> KeyStatus.Result in
                do {
                    try vault.clear()
                } catch {
                    throw ApplicationError.storageFailed("\(error)")
                }
                return Self.status(vault)
            }
        }
        table.register(KeySet.self, .waiting) { parameters, _ in
            let vault = try Self.vault(parameters.backend, in: keys)
            return try await onOwnThread(name: "vc-key-file") { () throws -> KeyStatus.Result in
                do {
                    try vault.set(parameters.key)
                } catch let error as KeyVaultError where error.isStorage {
                    throw ApplicationError.storageFailed("\(error)")
                } catch {
                    throw RPCError.invalidParams(field: "params.key", "\(error)")
                }
                scheduler.poke()
                return Self.status(vault)
            }
        }
    }

    /// The vault of backend `name` (the default backend's for nil).
    ///
    /// - Throws: invalid params naming the backends, for another name.
    private static func vault(_ name: String?, in keys: KeyRing) throws(RPCError) -> KeyVault {
        guard let vault = keys.vault(for: name) else {
            throw RPCError.invalidParams(field: "params.backend", "no backend is named '\(name ?? "")' (backends: \(keys.names))")
        }
        return vault
    }

    private static func status(_ vault: KeyVault) -> KeyStatus.Result {
        let status = vault.status()
        return KeyStatus.Result(state: status.state, source: status.source, masked: status.masked, reason: status.reason)
    }

    /// Runs `body`, turning the store's errors into protocol errors.
    static func storageMapped<T>(_ body: () async throws -> T) async throws -> T {
        try await mapped(body)
    }

    /// Runs `body`, turning the queue's errors into protocol errors.
    private static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as JobStoreError {
            switch error {
            case .notFound(let id):
                throw ApplicationError.jobNotFound(error.description, extra: ["id": .string(id)])
            case .wrongState(_, let state, _):
                throw ApplicationError.jobWrongState(error.description, extra: ["state": .string(state.rawValue)])
            case .invalidReference, .ambiguous:
                throw RPCError.invalidParams(field: "params.id", error.description)
            case .storage, .newerSchema, .closed, .damaged:
                throw ApplicationError.storageFailed(error.description)
            }
        } catch let problem as ParameterProblem {
            throw RPCError.invalidParams(field: "params.\(problem.field)", problem.message)
        }
    }
}
