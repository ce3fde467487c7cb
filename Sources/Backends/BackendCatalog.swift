/// The names a backend offers; an empty list means the backend does not say.
public struct BackendCatalog: Sendable, Equatable {
    public var models: [String]
    public var samplers: [String]
    public var schedulers: [String]

    public init(models: [String] = [], samplers: [String] = [], schedulers: [String] = []) {
        self.models = models
        self.samplers = samplers
        self.schedulers = schedulers
    }
}
