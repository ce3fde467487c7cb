import JSON
import JSONRPC

/// `job.delete`: removes finished jobs from the history: the ones named, or
/// every one that finished more than `older_than_seconds` ago. Their image
/// files stay unless `files` is true. Jobs that are queued or running are
/// never deleted: naming one fails the call and deletes nothing.
package enum JobDelete: RPCMethod {
    package static let name = "job.delete"

    package struct Parameters: RPCParameters, Equatable {
        /// The jobs to delete (1 to 1000), or nil with `olderThanSeconds`.
        package var ids: [String]?
        /// Delete every job that finished at least this long ago.
        package var olderThanSeconds: Double?
        /// Also delete the jobs' saved image files.
        package var files: Bool

        package init(ids: [String]? = nil, olderThanSeconds: Double? = nil, files: Bool = false) {
            self.ids = ids
            self.olderThanSeconds = olderThanSeconds
            self.files = files
        }

        package init(params: JSON?) throws(RPCError) {
            do throws(FieldError) {
                var reader = try FieldReader(params, path: "params")
                ids = try reader.strings("ids")
                olderThanSeconds = try reader.number("older_than_seconds", in: 0...(100 * 365 * 86400))
                files = try reader.boolean("files") ?? false
                try reader.finish()
                switch (ids, olderThanSeconds) {
                case (nil, nil), (_?, _?):
                    throw FieldError(field: "params", detail: "give either ids or older_than_seconds")
                case (let ids?, nil) where ids.isEmpty || ids.count > 1000:
                    throw FieldError(field: "params.ids", detail: "expected 1 to 1000 ids, got \(ids.count)")
                default:
                    break
                }
            } catch {
                throw error.rpcError
            }
        }

        package var params: JSON? {
            var object: JSONObject = ["files": .bool(files)]
            if let ids { object["ids"] = .array(ids.map(JSON.string)) }
            if let olderThanSeconds, let number = JSONNumber(olderThanSeconds) { object["older_than_seconds"] = .number(number) }
            return .object(object)
        }
    }

    package struct Result: RPCResult, Equatable {
        /// The jobs deleted, oldest first.
        package var deleted: [String]
        /// Image files removed (with `files`).
        package var filesRemoved: Int
        /// Image files that could not be removed, each with the reason.
        package var fileErrors: [String]

        package init(deleted: [String], filesRemoved: Int, fileErrors: [String]) {
            self.deleted = deleted
            self.filesRemoved = filesRemoved
            self.fileErrors = fileErrors
        }

        package init(result: JSON) throws(FieldError) {
            var reader = try FieldReader(result, path: "result")
            deleted = try reader.required("deleted", try reader.strings("deleted"))
            filesRemoved = try reader.required("files_removed", try reader.integer("files_removed"))
            fileErrors = try reader.strings("file_errors") ?? []
        }

        package var result: JSON {
            [
                "deleted": .array(deleted.map(JSON.string)), "files_removed": .number(JSONNumber(filesRemoved)),
                "file_errors": .array(fileErrors.map(JSON.string)),
            ]
        }
    }
}
