import Daemon
import Posix

exit(VisionCraftDaemonCommand.main(Array(CommandLine.arguments.dropFirst())).rawValue)
