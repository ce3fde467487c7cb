import Testing
import VisionCraftProtocol

@Suite struct SocketLocationTests {
    let environment = ["XDG_RUNTIME_DIR": "/run/user/1000", "VISIONCRAFT_SOCKET": "/tmp/env.sock"]

    func resolve(_ flag: String?, _ environment: [String: String], cwd: String = "/home/u") -> SocketLocation {
        SocketLocation.resolve(flag: flag, environment: { environment[$0] }, userID: 1000, workingDirectory: cwd)
    }

    @Test func theFlagWinsOverEverything() {
        #expect(resolve("/tmp/flag.sock", environment) == SocketLocation(path: "/tmp/flag.sock", source: .flag))
    }

    @Test func theEnvironmentVariableComesNext() {
        #expect(resolve(nil, environment) == SocketLocation(path: "/tmp/env.sock", source: .environment))
    }

    @Test func thenTheRuntimeDirectory() {
        let location = resolve(nil, ["XDG_RUNTIME_DIR": "/run/user/1000/"])
        #expect(location.path == "/run/user/1000/visioncraft/visioncraftd.sock")
        #expect(location.source == .runtimeDirectory)
        #expect(location.folder == "/run/user/1000/visioncraft")
    }

    @Test func thenTmpWithTheUserID() {
        let location = resolve(nil, [:])
        #expect(location.path == "/tmp/visioncraft-1000/visioncraftd.sock")
        #expect(location.source == .temporaryDirectory)
        #expect(location.folder == "/tmp/visioncraft-1000")
    }

    @Test func emptyValuesCountAsUnset() {
        #expect(resolve("", ["VISIONCRAFT_SOCKET": "", "XDG_RUNTIME_DIR": ""]).source == .temporaryDirectory)
    }

    @Test func aRelativeRuntimeDirectoryIsIgnored() {
        #expect(resolve(nil, ["XDG_RUNTIME_DIR": "relative/dir"]).source == .temporaryDirectory)
    }

    @Test func theLockFileIsBesideTheSocket() {
        #expect(SocketLocation(path: "/run/user/7/visioncraft/visioncraftd.sock", source: .flag).lockPath == "/run/user/7/visioncraft/visioncraftd.sock.lock")
    }

    @Test(arguments: [
        ("4242\n", Int32?.some(4242)), ("17", 17), ("", nil), ("\n", nil), ("0\n", nil), ("-3\n", nil), ("12a\n", nil),
        ("99999999999\n", nil), (" 12\n", nil),
    ])
    func theLockRecordNamesTheDaemon(text: String, pid: Int32?) {
        #expect(DaemonLockRecord.pid(in: Array(text.utf8)) == pid)
    }

    @Test func theLockRecordRoundTrips() {
        #expect(DaemonLockRecord.pid(in: Array(DaemonLockRecord.text(pid: 31337).utf8)) == 31337)
    }

    @Test func relativePathsBecomeAbsolute() {
        #expect(resolve("d.sock", [:], cwd: "/home/u").path == "/home/u/d.sock")
        #expect(resolve(nil, ["VISIONCRAFT_SOCKET": "x/d.sock"], cwd: "/srv/").path == "/srv/x/d.sock")
    }
}
