import Reliability

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(ReliabilityTool.main(Array(CommandLine.arguments.dropFirst())))
