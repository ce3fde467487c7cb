import Posix
import VCCtl

exit(VisionCraftControl.main(Array(CommandLine.arguments.dropFirst())).rawValue)
