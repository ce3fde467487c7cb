import Posix
import VisionCraftEmulator

exit(EmulatorCommand.main(Array(CommandLine.arguments.dropFirst())).rawValue)
