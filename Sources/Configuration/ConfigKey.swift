/// A key `vcctl config` reads and writes by name: one of `Settings.keys`
/// (`jobs.model`), or a key of a backend's section (`backends.forge.model`),
/// with the section of the file it is written in.
public struct ConfigKey: Sendable {
    /// `jobs.model`, `backends.forge.model`.
    public let name: String
    /// The file's section (`jobs`, `backends.forge`) and the key's name in it.
    public let section: String
    public let entryName: String
    /// What it does, with its range.
    public let summary: String
    /// Its default, in words.
    public let defaultText: String
    /// The daemon setting, for a key of `Settings.keys`; nil for a backend's.
    public let setting: Settings.Key?

    /// The key called `name`; nil when there is none.
    public init?(named name: String) {
        if let setting = Settings.key(name) {
            self.init(setting)
            return
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == BackendSettings.section, !parts[1].isEmpty, parts[1].utf8.count <= BackendSettings.maximumNameBytes,
            let doc = BackendSettings.keys.first(where: { $0.name == parts[2] })?.doc
        else { return nil }
        self.init(name: name, section: "\(parts[0]).\(parts[1])", entryName: parts[2], summary: doc, defaultText: "see visioncraft.conf(5)", setting: nil)
    }

    public init(_ setting: Settings.Key) {
        let section = String(setting.name.prefix { $0 != "." })
        self.init(
            name: setting.name, section: section, entryName: String(setting.name.dropFirst(section.count + 1)),
            summary: setting.summary + setting.kind.rangeText, defaultText: setting.defaultText, setting: setting
        )
    }

    private init(name: String, section: String, entryName: String, summary: String, defaultText: String, setting: Settings.Key?) {
        self.name = name
        self.section = section
        self.entryName = entryName
        self.summary = summary
        self.defaultText = defaultText
        self.setting = setting
    }

    /// The keys of one backend's section, as `vcctl config keys` lists them.
    public static let backendKeyForms: [(name: String, summary: String)] = BackendSettings.keys.map {
        ("\(BackendSettings.section).NAME.\($0.name)", $0.doc)
    }
}
