import Base64Coding
import Client
import Jobs
import JSON
import JSONRPC
import MCP
import Posix
import VisionCraftProtocol

/// The daemon's jobs and saved images as MCP resources: `visioncraft://job/ID`
/// (the job as JSON) and the `file://` URI of each saved image. Only a file
/// a job of this daemon saved is read; any other URI is not found.
struct MCPImageResources {
    let options: DaemonClient.Options

    static let jobScheme = "visioncraft://job/"
    /// Jobs a page of `resources/list` holds.
    static let pageSize = 20
    /// The largest image `resources/read` returns.
    static let maximumImageBytes = 64 << 20

    static let templates: [JSON] = [
        [
            "uriTemplate": .string(jobScheme + "{id}"), "name": "job", "title": "A visioncraft job",
            "description": "A job of the daemon's queue as JSON: state, parameters, error and each saved image's file:// URI.",
            "mimeType": "application/json",
        ]
    ]

    func list(cursor: String?) throws(MCPProtocolError) -> (resources: [JSON], nextCursor: String?) {
        var query: JSONObject = ["limit": .number(JSONNumber(Self.pageSize))]
        if let cursor { query["before"] = .string(cursor) }
        let listing = try call(JobList.name, query, uri: nil)
        var resources: [JSON] = []
        for job in listing["jobs"]?.arrayValue ?? [] {
            guard let id = job["id"]?.stringValue else { continue }
            let prompt = job["params"]?["prompt"]?.stringValue ?? ""
            resources.append([
                "uri": .string(Self.jobScheme + id), "name": .string("job-\(id)"),
                "title": .string(prompt.count > 80 ? String(prompt.prefix(79)) + "…" : prompt),
                "description": .string("\(job["state"]?.stringValue ?? "?") job, created \(job["created_at"]?.stringValue ?? "?")"),
                "mimeType": "application/json",
            ])
            for image in MCPJobResult.savedImages(job) {
                var entry: JSONObject = [
                    "uri": .string(MCPFileURI.uri(image.path)), "name": .string(FileSystem.lastComponent(of: image.path)),
                    "title": .string("Image \(image.index + 1) of job \(id)"),
                ]
                if let format = MCPImageFormat(path: image.path) { entry["mimeType"] = .string(format.mimeType) }
                if let status = try? FileSystem.status(image.path) { entry["size"] = .number(JSONNumber(status.size)) }
                resources.append(.object(entry))
            }
        }
        return (resources, listing["next"]?.stringValue)
    }

    func read(_ uri: String, version: MCPProtocolVersion) throws(MCPProtocolError) -> [JSON] {
        func notFound(_ detail: String) -> MCPProtocolError { .resourceNotFound(uri, detail, version: version) }
        if uri.hasPrefix(Self.jobScheme) {
            let id = String(uri.dropFirst(Self.jobScheme.count))
            guard !id.isEmpty, !id.contains("/") else { throw notFound("expected visioncraft://job/ID") }
            let job = try call(JobGet.name, ["id": .string(id)], uri: (uri, version))
            return [["uri": .string(uri), "mimeType": "application/json", "text": .string(JSONSerializer.serializeToString(MCPJobResult.withURIs(job)))]]
        }
        guard let path = MCPFileURI.path(uri) else {
            throw notFound("this server has visioncraft://job/ID and the file:// URIs of the images its jobs saved")
        }
        // The saver names each file JOBID-N.EXT: the job says whether it saved it.
        let name = FileSystem.lastComponent(of: path)
        let stem = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
        guard let dash = stem.lastIndex(of: "-"), let number = Int(stem[stem.index(after: dash)...]), number > 0 else {
            throw notFound("not an image a visioncraft job saved")
        }
        let id = String(stem[..<dash])
        let job: JSON
        do {
            job = try call(JobGet.name, ["id": .string(id)], uri: (uri, version))
        } catch where error.error.code == (version.isModern ? RPCErrorCode.invalidParams : RPCErrorCode(rawValue: -32002)) {
            throw notFound("not an image a visioncraft job saved")
        }
        let resolved = FileSystem.resolvedPath(path)
        guard job["id"]?.stringValue == id,
            let saved = MCPJobResult.savedImages(job).first(where: { $0.index == number - 1 }),
            resolved != nil, FileSystem.resolvedPath(saved.path) == resolved
        else { throw notFound("not an image a visioncraft job saved") }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readRegularFile(saved.path, maximumBytes: Self.maximumImageBytes)
        } catch {
            throw notFound("\(error)")
        }
        return [["uri": .string(uri), "mimeType": .string(MCPImageFormat(path: saved.path)?.mimeType ?? "application/octet-stream"), "blob": .string(Base64.encode(bytes))]]
    }

    /// Calls the daemon; a job it does not have is a resource not found.
    private func call(_ method: String, _ params: JSONObject, uri: (String, MCPProtocolVersion)?) throws(MCPProtocolError) -> JSON {
        try MCPDaemonCall.protocolCall(options, method, params) { rpcError in
            guard let (uri, version) = uri else { return MCPProtocolError(rpcError.code, rpcError.message) }
            return .resourceNotFound(uri, "no such job", version: version)
        }
    }
}
