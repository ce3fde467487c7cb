import FuzzTargets
import Posix

exit(FuzzTool.main(CommandLine.arguments))
