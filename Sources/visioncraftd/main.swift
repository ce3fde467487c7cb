import Daemon

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

exit(VisionCraftDaemonCommand.main(Array(CommandLine.arguments.dropFirst())).rawValue)
