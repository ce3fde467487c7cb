@testable import FuzzTargets
import Posix
import Testing
import TestSupport

/// Short seeded runs of each fuzz target (`visioncraft-fuzz`; `.ci/fuzz`
/// runs them under libFuzzer for millions of inputs), and the properties
/// they check, each shown to fail on an input that breaks it.
@Suite struct FuzzTargetsTests {
    @Test func theConfigurationReaderHoldsItsPromisesOverSeededInputs() async throws {
        let failure = try await offPool { () -> String? in
            let target = ConfigFuzzTarget()
            var mutations = SeededMutations(seed: 7)
            for input in FuzzSeeds.config {
                do { try target.run(input) } catch { return "\(error)" }
            }
            for _ in 0..<10_000 {
                do { try target.run(mutations.next(from: FuzzSeeds.config)) } catch { return "\(error)" }
            }
            return nil
        }
        #expect(failure == nil, "\(failure ?? "")")
    }

    @Test func pluginOptionsNeverCrashHangOrOverreach() async throws {
        let failure = try await offPool { () -> String? in
            let target = try PluginOptionsFuzzTarget(pluginFolder: BuiltProducts.directory)
            target.timeLimit = .seconds(60)  // a crowded test machine, not a hang
            var mutations = SeededMutations(seed: 11)
            for input in FuzzSeeds.pluginOptions + (0..<3000).map({ _ in mutations.next(from: FuzzSeeds.pluginOptions) }) {
                do { try target.run(input) } catch { return "\(error)" }
            }
            return nil
        }
        #expect(failure == nil, "\(failure ?? "")")
    }

    @Test func theDaemonAnswersAfterEverySeededInputAndAfterAShutdown() async throws {
        let (failure, starts, runs) = try await offPool { () -> (String?, Int, Int) in
            let target = try RPCFuzzTarget()
            target.timeLimit = .seconds(60)
            var mutations = SeededMutations(seed: 3)
            let shutdown = Array(#"{"jsonrpc":"2.0","id":1,"method":"daemon.shutdown"}"#.utf8)
            for input in FuzzSeeds.rpc + [shutdown] + (0..<1500).map({ _ in mutations.next(from: FuzzSeeds.rpc) }) {
                do { try target.run(input) } catch { return ("\(error)", target.starts, target.runs) }
            }
            return (nil, target.starts, target.runs)
        }
        #expect(failure == nil, "\(failure ?? "")")
        #expect(starts >= 2, "daemon.shutdown stops the daemon; the target starts another")
        #expect(runs == FuzzSeeds.rpc.count + 1 + 1500)
    }

    @Test func theToolRunsATargetAndRefusesWrongArguments() async throws {
        let binary = try BuiltProducts.path("visioncraft-fuzz")
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let ok = try await offPool { try runProcess(binary, ["config", "--runs", "2000", "--seed", "5"]) }
        #expect(ok.status == 0, "\(ok.standardError)")
        #expect(ok.standardOutput.contains("visioncraft-fuzz config: \(FuzzSeeds.config.count + 2000) inputs passed"))
        for (arguments, message) in [
            ([String](), "name a target"), (["nope"], "name a target"), (["config", "--runs"], "--runs needs a whole number"),
            (["config", "-max_len=10"], "libFuzzer's flags need the libFuzzer build"),
        ] {
            let output = try await offPool { try runProcess(binary, arguments) }
            #expect(output.status == 64, "\(arguments)")
            #expect(output.standardError.contains(message), "\(arguments): \(output.standardError)")
        }
        let missing = try await offPool { try runProcess(binary, ["config", "--runs", "0", folder.file("absent")]) }
        #expect(missing.status == 66)
    }
}
