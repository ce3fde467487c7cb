import Imaging
import JSON
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An init image that passed the submit's check and is a FIFO by the time
/// its job runs: the job fails saying so, the jobs after it run, and the
/// daemon stops promptly. (The read used to open the FIFO on a pool thread
/// and wait forever for a writer, holding the job's slot, its cancel and
/// the daemon's stop.)
@Suite struct InitImageTests {
    @Test func initImagesSwappedForFIFOsFailTheirJobsAndHoldNothing() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let images = [folder.file("first.png"), folder.file("second.png")]
        for image in images {
            try FileSystem.writeFileAtomically(image, try PNGCodec.encode(RGBAImage(width: 8, height: 8)))
        }
        // One job at a time, so that the queue can be held before the swap.
        let arguments = ["--emulator", "--requests-per-minute", "0", "--max-in-flight", "1", "--shutdown-timeout", "5"]

        let (failures, after, stopTime, death) = try await offPool { () -> ([JSON], JSON, Duration?, ChildProcess.Termination?) in
            let daemon = try DaemonProcess.start(arguments: arguments, folder: folder)
            // Killed if it did not stop: the old code's daemon never did.
            defer {
                if (try? daemon.child.poll()) == nil {
                    daemon.child.send(.kill)
                    _ = try? daemon.child.wait()
                }
            }
            let client = try daemon.connect()
            defer { client.close() }
            var id = 0
            func call(_ method: String, _ params: JSON = [:], timeout: Duration = .seconds(30)) throws -> JSON {
                id += 1
                let request: JSON = ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method), "params": params]
                try client.sendLine(JSONSerializer.serializeToString(request))
                let reply = try JSONParser.parse(try client.readLine(timeout: TestTime.scaled(timeout)))
                guard let result = reply["result"] else { throw TestFailure("\(method) failed: \(reply)") }
                return result
            }
            func emulatorFaults(_ faults: String) throws {
                let url = try call("daemon.status")["upstream"]?["url"]?.stringValue ?? ""
                guard let port = url.split(separator: ":").last.flatMap({ UInt16($0) }) else { throw TestFailure("no port in \(url)") }
                guard try RawHTTPClient(port: port).request("POST", "/_emulator/faults", body: faults).status == 200 else {
                    throw TestFailure("the emulator refused the faults")
                }
            }

            // A slow job holds the one slot while the others are submitted.
            _ = try call("models.list")  // listed before the upstream slows down
            try emulatorFaults(#"{"latency_ms":600000}"#)
            let holder = try call("job.submit", ["prompt": "hold the queue"])["id"]?.stringValue ?? ""
            var running = false
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(30)))
            while !running, MonotonicInstant.now() < deadline {
                running = try call("job.get", ["id": .string(holder)])["state"] == "running"
                if !running { pauseBriefly() }
            }
            guard running else { throw TestFailure("the holding job never ran") }
            let swapped = try images.map { image in
                try call("job.submit", ["prompt": "make it night", "init_images": [.string(image)]])["id"]?.stringValue ?? ""
            }
            // Checked at submit as regular files; FIFOs by the time they run.
            for image in images {
                try FileSystem.removeFile(image)
                guard mkfifo(image, 0o600) == 0 else { throw TestFailure("mkfifo \(image) failed") }
            }
            let last = try call("job.submit", ["prompt": "after them"])["id"]?.stringValue ?? ""
            try emulatorFaults(#"{"latency_ms":0}"#)
            _ = try call("job.cancel", ["id": .string(holder)])

            let after = try call("job.wait", ["id": .string(last), "timeout_seconds": .number(JSONNumber(30 * TestTime.scale))], timeout: .seconds(40))
            let failures = try swapped.map { try call("job.get", ["id": .string($0)]) }
            let stopping = MonotonicInstant.now()
            daemon.child.send(.terminate)
            let stopDeadline = stopping.advanced(by: TestTime.scaled(.seconds(20)))
            while MonotonicInstant.now() < stopDeadline {
                if let death = try daemon.child.poll() { return (failures, after, stopping.elapsed, death) }
                pauseBriefly(milliseconds: 10)
            }
            return (failures, after, nil, nil)
        }
        #expect(after["job"]?["state"] == "succeeded", "the job after the FIFOs ran: \(after)")
        for (job, image) in zip(failures, images) {
            #expect(job["state"] == "failed", "\(job)")
            #expect(job["error"]?["kind"] == "invalid")
            #expect(job["error"]?["message"]?.stringValue == "init_images: \(image) is a FIFO (named pipe), not a regular file", "\(job)")
        }
        #expect(death == .exited(0), "SIGTERM stopped the daemon within 20 s (its shutdown timeout is 5 s): \(String(describing: death)) after \(String(describing: stopTime))")
    }
}
