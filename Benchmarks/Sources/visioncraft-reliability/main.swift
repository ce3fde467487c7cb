import Posix
import Reliability

exit(ReliabilityTool.main(Array(CommandLine.arguments.dropFirst())))
