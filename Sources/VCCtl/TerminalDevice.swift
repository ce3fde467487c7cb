import Posix

/// What `vcctl show` asks the terminal: its size (`TIOCGWINSZ`) and its
/// primary device attributes (`ESC [ c` on /dev/tty).
enum TerminalDevice {
    /// A terminal's size.
    struct Size: Sendable, Equatable {
        var columns: Int
        /// Pixels per cell, when the terminal reports its size in pixels.
        var cellWidth: Int?
    }

    /// The size of the terminal on `descriptor` (`ioctl(TIOCGWINSZ)`), else
    /// of /dev/tty; nil when neither is a terminal.
    static func size(of descriptor: Int32 = 1) -> Size? {
        if let size = windowSize(descriptor) { return size }
        let terminal = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC)
        guard terminal >= 0 else { return nil }
        defer { close(terminal) }
        return windowSize(terminal)
    }

    /// Sends a primary device attributes query (`ESC [ c`) to /dev/tty and
    /// reads the answer (`ESC [ ? ... c`) in raw mode, for at most `timeout`;
    /// the terminal's modes are restored after.
    ///
    /// - Returns: what was read (possibly partial), nil without a
    ///   controlling terminal or when nothing came back in time.
    static func deviceAttributes(timeout: Duration = .milliseconds(300)) -> String? {
        let terminal = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard terminal >= 0 else { return nil }
        defer { close(terminal) }
        var saved = termios()
        guard tcgetattr(terminal, &saved) == 0 else { return nil }
        var raw = saved
        // No echo of the answer, no line buffering; reads return what is there.
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        guard tcsetattr(terminal, TCSANOW, &raw) == 0 else { return nil }
        defer { tcsetattr(terminal, TCSANOW, &saved) }
        let descriptor = FileDescriptor(rawValue: terminal)
        guard (try? descriptor.writeAll("\u{1B}[c")) != nil else { return nil }
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while answer.count < 4096 {
            let left = MonotonicInstant.now().duration(to: deadline)
            guard left > .zero, (try? Poll.wait(for: descriptor, events: .readable, timeout: left)) == true else { break }
            let count = buffer.withUnsafeMutableBytes { read(terminal, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            guard count > 0 else { break }
            answer += buffer[..<count]
            let text = String(decoding: answer, as: UTF8.self)
            if TerminalGraphics.parameters(deviceAttributes: text) != nil { return text }
        }
        return answer.isEmpty ? nil : String(decoding: answer, as: UTF8.self)
    }

    private static func windowSize(_ descriptor: Int32) -> Size? {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        let cellWidth = size.ws_xpixel > 0 ? Int(size.ws_xpixel) / Int(size.ws_col) : nil
        return Size(columns: Int(size.ws_col), cellWidth: cellWidth.flatMap { $0 > 0 ? $0 : nil })
    }
}
