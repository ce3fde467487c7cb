import Jobs
import JSON
import MCP

/// The tools `vcctl mcp` serves, their argument schemas and the schemas of
/// what they answer. A job's fields come from `JobField` (names, ranges,
/// help): what the daemon takes is written once.
enum MCPToolCatalog {
    static let generateImage = "generate_image"
    static let getJob = "get_job"
    static let waitJob = "wait_job"
    static let cancelJob = "cancel_job"
    static let retryJob = "retry_job"
    static let listJobs = "list_jobs"
    static let searchHistory = "search_history"
    static let listBackends = "list_backends"
    static let listModels = "list_models"

    /// The one job field an assistant names otherwise: a single start image
    /// (the wire's `init_images` holds exactly one), a path, `file://` URI
    /// (a resource link this server gave) or http(s) URL.
    static let initImageArgument = "init_image"

    /// How long `generate_image` and `wait_job` wait by default: inside the
    /// ~60 s after which Claude Desktop cancels a stdio tool call.
    static let defaultWaitSeconds = 45.0
    /// The longest wait one call may ask for.
    static let waitSecondsRange = 0.0...3600.0
    /// Jobs a listing returns by default, and the most.
    static let defaultListLimit = 20
    static let listLimitRange = 1...100

    static let waitSeconds: JSON = [
        "type": "number", "minimum": .number(JSONNumber(Int(waitSecondsRange.lowerBound))), "maximum": .number(JSONNumber(Int(waitSecondsRange.upperBound))),
        "default": .number(JSONNumber(Int(defaultWaitSeconds))),
        "description": "Seconds to wait for the job to finish (default 45: clients cancel calls after about 60). Not done by then: the answer has the job id and state; call wait_job or get_job later. 0: do not wait.",
    ]
    static let previews: JSON = [
        "type": "boolean", "default": false,
        "description": "Also return a small preview of each image inline (at most 256 px, PNG). Off by default: every image is a resource_link to its saved file.",
    ]
    static let cancelOnAbort: JSON = [
        "type": "boolean", "default": false,
        "description": "If the call is cancelled while it waits, cancel the job too. By default the job goes on (it is durable); get_job finds it.",
    ]
    static let jobID: JSON = ["type": "string", "minLength": 1, "maxLength": 64, "description": "A job id (or a unique prefix of one, or 'last')."]

    static var tools: [MCPTool] {
        [
            MCPTool(
                name: generateImage, title: "Generate images",
                description: "Queue an image job on the visioncraft daemon (durable: it survives restarts and is retried within the backend's limits), then wait up to wait_seconds for it. Done: the saved images as resource links (file:// URIs of PNGs with the parameters embedded). Not done: the job id; call wait_job later.",
                inputSchema: object(jobProperties + [("wait_seconds", waitSeconds), ("previews", previews), ("cancel_on_abort", cancelOnAbort)], required: ["prompt"]),
                outputSchema: jobResultSchema, annotations: ["readOnlyHint": false, "destructiveHint": false, "idempotentHint": false, "openWorldHint": true]
            ),
            MCPTool(
                name: getJob, title: "Get a job", description: "A job's state, parameters, error and saved images.",
                inputSchema: object([("id", jobID), ("previews", previews)], required: ["id"]), outputSchema: jobResultSchema,
                annotations: readOnly
            ),
            MCPTool(
                name: waitJob, title: "Wait for a job",
                description: "Wait up to wait_seconds for a job to finish; then as get_job. Progress notifications while it runs.",
                inputSchema: object([("id", jobID), ("wait_seconds", waitSeconds), ("previews", previews), ("cancel_on_abort", cancelOnAbort)], required: ["id"]),
                outputSchema: jobResultSchema, annotations: readOnly
            ),
            MCPTool(
                name: cancelJob, title: "Cancel a job", description: "Cancel a queued or running job (its saved images stay).",
                inputSchema: object([("id", jobID)], required: ["id"]), outputSchema: jobResultSchema,
                annotations: ["readOnlyHint": false, "destructiveHint": true, "idempotentHint": true, "openWorldHint": false]
            ),
            MCPTool(
                name: retryJob, title: "Retry a job", description: "Queue a failed or cancelled job again, keeping its id and the images it saved.",
                inputSchema: object([("id", jobID)], required: ["id"]), outputSchema: jobResultSchema,
                annotations: ["readOnlyHint": false, "destructiveHint": false, "idempotentHint": true, "openWorldHint": true]
            ),
            MCPTool(
                name: listJobs, title: "List jobs", description: "Jobs, newest first, as 'vcctl list' filters them.",
                inputSchema: object(
                    [
                        ("state", ["type": "string", "enum": .array(JobState.allCases.map { .string($0.rawValue) }), "description": "Only jobs in this state."]),
                        ("label", ["type": "string", "minLength": 1, "maxLength": 64, "description": "Only jobs with this label."]),
                        ("text", ["type": "string", "minLength": 1, "maxLength": 256, "description": "Only jobs whose prompt contains this text."]),
                    ] + pageProperties,
                    required: []
                ),
                outputSchema: jobListSchema, annotations: readOnly
            ),
            MCPTool(
                name: searchHistory, title: "Search past prompts",
                description: "Full-text search over every job's prompt (words and word prefixes, any case and accents), newest first.",
                inputSchema: object(
                    [("query", ["type": "string", "minLength": 1, "maxLength": 256, "description": "Words the prompt must have, as 'vcctl history' takes them."])] + pageProperties,
                    required: ["query"]
                ),
                outputSchema: jobListSchema, annotations: readOnly
            ),
            MCPTool(
                name: listBackends, title: "List backends",
                description: "The daemon's backends: name, kind, URL, whether reachable, key state, queue, pause reason, next attempt and today's usage.",
                inputSchema: object([], required: []), outputSchema: ["type": "object", "properties": ["backends": ["type": "array", "items": ["type": "object"]]], "required": ["backends"]],
                annotations: readOnly
            ),
            MCPTool(
                name: listModels, title: "List models", description: "The models (and samplers) a backend offers, for generate_image's model and sampler.",
                inputSchema: object(
                    [
                        ("backend", ["type": "string", "minLength": 1, "maxLength": 64, "description": "The backend (default: the daemon's)."]),
                        ("refresh", ["type": "boolean", "default": false, "description": "Ask the backend again instead of the daemon's cached list."]),
                    ],
                    required: []
                ),
                outputSchema: [
                    "type": "object",
                    "properties": ["models": ["type": "array", "items": ["type": "string"]], "samplers": ["type": "array", "items": ["type": "string"]]],
                    "required": ["models"],
                ],
                annotations: readOnly
            ),
        ]
    }

    /// The arguments every job field gives a `generate_image` call.
    static var jobProperties: [(String, JSON)] {
        JobField.allCases.map { field in (field == .initImage ? initImageArgument : field.wireName, schema(of: field)) }
    }

    static func schema(of field: JobField) -> JSON {
        var schema: JSONObject
        switch field.values {
        case .text(let nonEmpty, let maximumBytes):
            schema = ["type": "string", "maxLength": .number(JSONNumber(maximumBytes))]
            if nonEmpty { schema["minLength"] = 1 }
        case .integer(let range):
            schema = ["type": "integer", "minimum": .number(JSONNumber(range.lowerBound)), "maximum": .number(JSONNumber(range.upperBound))]
        case .number(let range):
            schema = ["type": "number", "minimum": JSON(floatLiteral: range.lowerBound), "maximum": JSON(floatLiteral: range.upperBound)]
        case .texts(let maximumCount, let maximumBytes):
            schema = [
                "type": "array", "maxItems": .number(JSONNumber(maximumCount)),
                "items": ["type": "string", "minLength": 1, "maxLength": .number(JSONNumber(maximumBytes))],
            ]
        case .location:
            schema = ["type": "string", "minLength": 1, "maxLength": .number(JSONNumber(JobField.maximumPathBytes))]
        }
        schema["description"] = .string(field == .initImage
            ? "Start from this image (image-to-image): an absolute path of a PNG, JPEG or WebP, a file:// URI (a resource link of an earlier job) or an http(s) URL."
            : field.help)
        return .object(schema)
    }

    private static let pageProperties: [(String, JSON)] = [
        (
            "limit",
            [
                "type": "integer", "minimum": .number(JSONNumber(listLimitRange.lowerBound)), "maximum": .number(JSONNumber(listLimitRange.upperBound)),
                "default": .number(JSONNumber(defaultListLimit)), "description": "At most this many jobs.",
            ]
        ),
        ("before", ["type": "string", "minLength": 1, "maxLength": 64, "description": "Only jobs older than this id: the 'next' of the previous page."]),
    ]

    private static let readOnly: JSONObject = ["readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false]

    private static func object(_ properties: [(String, JSON)], required: [String]) -> JSON {
        [
            "type": "object", "properties": .object(JSONObject(properties)), "required": .array(required.map { .string($0) }),
            "additionalProperties": false,
        ]
    }

    private static func nullable(_ type: String) -> JSON {
        ["type": [.string(type), "null"]]
    }

    /// A job as the daemon describes it (job.get), with each saved image's URI.
    static let jobSchema: JSON = [
        "type": "object",
        "properties": [
            "id": ["type": "string"], "state": ["type": "string", "enum": .array(JobState.allCases.map { .string($0.rawValue) })],
            "params": ["type": "object"], "images_done": ["type": "integer"], "attempts": ["type": "integer"],
            "images": [
                "type": "array",
                "items": [
                    "type": "object",
                    "properties": ["index": ["type": "integer"], "state": ["type": "string"], "path": nullable("string"), "uri": nullable("string")],
                    "required": ["index", "state"],
                ],
            ],
            // The daemon writes null for what a job does not have (yet).
            "error": ["type": ["object", "null"], "properties": ["kind": ["type": "string"], "message": ["type": "string"]]],
        ],
        "required": ["id", "state"],
    ]

    static let jobResultSchema: JSON = [
        "type": "object",
        "properties": [
            "job": jobSchema,
            "finished": ["type": "boolean", "description": "Whether the job ended (succeeded, failed or cancelled)."],
        ],
        "required": ["job", "finished"],
    ]

    static let jobListSchema: JSON = [
        "type": "object",
        "properties": ["jobs": ["type": "array", "items": jobSchema], "next": ["type": ["string", "null"], "description": "Pass as before for the next page."]],
        "required": ["jobs"],
    ]
}
