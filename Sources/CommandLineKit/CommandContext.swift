import Posix

/// Somewhere to write text.
package protocol TextOutput: Sendable {
    func write(_ text: String)
}

/// Writes to a file descriptor with `write(2)`, looping over partial writes
/// and EINTR. Errors (a closed pipe) are ignored: there is nowhere to report them.
package struct DescriptorOutput: TextOutput {
    package let descriptor: Int32

    package init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    package func write(_ text: String) {
        var copy = text
        copy.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

/// Collects everything written (for tests).
package final class BufferedOutput: TextOutput {
    private let storage = Lock("")

    package init() {}

    package func write(_ text: String) {
        storage.withLock { $0 += text }
    }

    /// Everything written so far.
    package var text: String { storage.withLock { $0 } }
}

/// What a command runs with: where its output goes, the environment, and
/// whether it talks to a terminal.
package struct CommandContext: Sendable {
    /// Data only.
    package var stdout: any TextOutput
    /// Messages, progress and errors.
    package var stderr: any TextOutput
    package var environment: Environment
    package var isStandardOutputTerminal: Bool
    package var isStandardErrorTerminal: Bool

    package init(
        stdout: any TextOutput,
        stderr: any TextOutput,
        environment: Environment = Environment([:]),
        isStandardOutputTerminal: Bool = false,
        isStandardErrorTerminal: Bool = false
    ) {
        self.stdout = stdout
        self.stderr = stderr
        self.environment = environment
        self.isStandardOutputTerminal = isStandardOutputTerminal
        self.isStandardErrorTerminal = isStandardErrorTerminal
    }

    /// The process's own standard output and error.
    package static func standard(environment: Environment = .process) -> CommandContext {
        CommandContext(
            stdout: DescriptorOutput(descriptor: 1),
            stderr: DescriptorOutput(descriptor: 2),
            environment: environment,
            isStandardOutputTerminal: isatty(1) == 1,
            isStandardErrorTerminal: isatty(2) == 1
        )
    }
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafePointer<UInt8>, _ count: Int) -> Int {
    write(fd, buffer, count)
}
