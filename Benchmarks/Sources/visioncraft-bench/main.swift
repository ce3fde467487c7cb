import Benchmarks
import Posix

exit(BenchmarkTool.main(Array(CommandLine.arguments.dropFirst())))
