// The C library, for every module that imports Posix: the platform switch
// is written here once instead of in each file that calls a libc function.
#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Darwin)
@_exported import Darwin
#elseif canImport(Musl)
@_exported import Musl
#endif
