@testable import Daemon
import Posix
import Testing
import TestSupport

@Suite struct KeyVaultTests {
    let log = Logger(minimumLevel: .error)

    func vault(_ folder: TemporaryDirectory, environment: [String: String] = [:], emulator: Bool = false) -> KeyVault {
        KeyVault(filePath: folder.file("config/key"), environment: { environment[$0] }, emulator: emulator, log: log)
    }

    @Test func theFileWinsThenTheEnvironmentThenCredentialsThenTheEmulator() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("credentials"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("credentials/visioncraft-key"), Array("from-systemd-credential\n".utf8))
        let environment = ["VISIONCRAFT_API_KEY": "from-the-environment", "CREDENTIALS_DIRECTORY": folder.file("credentials")]
        #expect(vault(folder, environment: environment).status().source == "environment")
        #expect(vault(folder, environment: ["CREDENTIALS_DIRECTORY": folder.file("credentials")]).usableKey() == "from-systemd-credential")
        #expect(vault(folder, emulator: true).status().source == "emulator")
        #expect(vault(folder).status().state == "missing")
        #expect(vault(folder).usableKey() == nil)
        try vault(folder).set("  from-the-file-1234  \n")
        let loaded = vault(folder, environment: environment)
        #expect(loaded.usableKey() == "from-the-file-1234", "trimmed, and the file comes first")
        #expect(loaded.status().masked == "...1234")
        #expect(try FileSystem.status(folder.file("config/key"))?.octalPermissions == "0600")
        #expect(try FileSystem.status(folder.file("config"))?.octalPermissions == "0700")
    }

    @Test func clearingDeletesTheFileAndFallsBackToTheOtherSources() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = vault(folder, environment: ["VISIONCRAFT_API_KEY": "from-the-environment"])
        try keys.set("from-the-file-1234")
        #expect(keys.status().source == "file")
        try keys.clear()
        #expect(try FileSystem.status(folder.file("config/key")) == nil, "the file is gone")
        #expect(keys.usableKey() == "from-the-environment")
        let alone = vault(folder)
        try alone.set("from-the-file-5678")
        try alone.clear()
        #expect(alone.status().state == "missing")
        try alone.clear()  // clearing again is not an error
        #expect(vault(folder).status().state == "missing", "and stays so after a restart")
    }

    @Test func aRejectionLastsUntilANewKey() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = vault(folder, environment: ["VISIONCRAFT_API_KEY": "old-key-abcd"])
        keys.reject("someone-else", reason: "stale")
        #expect(keys.usableKey() == "old-key-abcd", "a rejection of a key no longer in use is ignored")
        keys.reject("old-key-abcd", reason: "Token is not active")
        #expect(keys.usableKey() == nil)
        #expect(keys.status().state == "rejected")
        #expect(keys.status().reason == "Token is not active")
        try keys.set("new-key-efgh")
        #expect(keys.usableKey() == "new-key-efgh")
        #expect(keys.status().state == "set")
        #expect(keys.status().masked == "...efgh")
        try keys.set("short-1")
        #expect(keys.status().masked == "...", "keys under 12 characters show none")
    }

    @Test(arguments: ["", "two words", "tab\tinside", String(repeating: "k", count: 513), "nul\u{0}"])
    func unusableKeysAreRefused(key: String) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(throws: KeyVaultError.self) { try vault(folder).set(key) }
        #expect(try FileSystem.status(folder.file("config/key")) == nil, "nothing written")
    }

    @Test func aDamagedKeyFileIsIgnored() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.makeDirectories(folder.file("config"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("config/key"), Array("not a key\n".utf8))
        #expect(vault(folder, environment: ["VISIONCRAFT_API_KEY": "env-key"]).usableKey() == "env-key")
    }
}

/// One key per backend: set, read, refused and cleared apart, so that one
/// backend's key never reaches another.
@Suite struct KeyRingTests {
    @Test func eachBackendHasItsOwnKey() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let ring = KeyRing(
            backends: [("visioncraft", false), ("forge", false), ("local", true)], defaultBackend: "forge", keyFile: folder.file("config/key"),
            environment: { $0 == "VISIONCRAFT_API_KEY" ? "env-key-1234" : nil }, log: Logger(minimumLevel: .error)
        )
        #expect(ring.usableKey(for: "visioncraft") == "env-key-1234", "the environment's key is the implicit backend's")
        #expect(ring.usableKey(for: "forge") == nil, "and no one else's")
        #expect(ring.usableKey(for: "local") == KeyVault.emulatorKey, "the embedded emulator takes any key")
        #expect(ring.vault(for: nil) === ring.vault(for: "forge"), "no name: the default backend's")
        #expect(ring.vault(for: "gone") == nil)

        try #require(ring.vault(for: "forge")).set("ada:secret-pass")
        #expect(ring.usableKey(for: "forge") == "ada:secret-pass")
        #expect(try FileSystem.readFile(folder.file("config/key-forge")) == Array("ada:secret-pass\n".utf8))
        #expect(try FileSystem.status(folder.file("config/key-forge"))?.octalPermissions == "0600")
        #expect(try FileSystem.status(folder.file("config/key")) == nil, "the implicit backend's file is untouched")
        ring.reject("ada:secret-pass", reason: "401", for: "forge")
        #expect(ring.usableKey(for: "forge") == nil)
        #expect(ring.usableKey(for: "visioncraft") == "env-key-1234", "a refusal is one backend's")
    }
}
