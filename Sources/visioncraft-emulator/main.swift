import VisionCraftEmulator

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

exit(EmulatorCommand.main(Array(CommandLine.arguments.dropFirst())).rawValue)
