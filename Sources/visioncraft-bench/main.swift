import Benchmarks

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(BenchmarkTool.main(Array(CommandLine.arguments.dropFirst())))
