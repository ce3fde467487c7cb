#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

// Thin aliases for libc functions whose names collide with methods of this
// module's types (`read`, `write`, `close`, `stat` ...). Nothing else here.

@inline(__always) func system_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

@inline(__always) func system_write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}

@inline(__always) func system_close(_ fd: Int32) -> Int32 {
    close(fd)
}

@inline(__always) func system_send(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc) || canImport(Musl)
    send(fd, buffer, count, Int32(MSG_NOSIGNAL))
    #else
    // macOS has no MSG_NOSIGNAL: sockets get SO_NOSIGPIPE when created, and
    // processes ignore SIGPIPE (Signals.ignoreBrokenPipe).
    send(fd, buffer, count, 0)
    #endif
}

@inline(__always) func system_listen(_ fd: Int32, _ backlog: Int32) -> Int32 {
    listen(fd, backlog)
}

@inline(__always) func system_connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

@inline(__always) func system_stat(_ path: String, _ buffer: inout stat) -> Int32 {
    stat(path, &buffer)
}

@inline(__always) func system_lstat(_ path: String, _ buffer: inout stat) -> Int32 {
    lstat(path, &buffer)
}

@inline(__always) func system_fstat(_ fd: Int32, _ buffer: inout stat) -> Int32 {
    fstat(fd, &buffer)
}

#if canImport(Glibc)
/// SOCK_STREAM as an Int32 on every platform.
let socketTypeStream = Int32(SOCK_STREAM.rawValue)
/// SOCK_CLOEXEC where the platform has it (Linux), else 0.
let socketFlagCloseOnExec = Int32(SOCK_CLOEXEC.rawValue)
#elseif canImport(Musl)
let socketTypeStream = SOCK_STREAM
let socketFlagCloseOnExec = SOCK_CLOEXEC
#else
let socketTypeStream = SOCK_STREAM
let socketFlagCloseOnExec: Int32 = 0
#endif

@inline(__always) func system_shutdown(_ fd: Int32) -> Int32 {
    #if canImport(Darwin)
    shutdown(fd, SHUT_RDWR)
    #else
    shutdown(fd, Int32(SHUT_RDWR))
    #endif
}
