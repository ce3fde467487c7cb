import CommandLineKit
import Imaging
import JSON
import JSONRPC
import Posix
import VisionCraftProtocol

/// `vcctl show ID`: a job's images previewed in the terminal.
///
/// Everything goes to standard output: each image's escapes, a newline, its
/// path. Off a terminal (a pipe, a file), only the paths unless `--protocol`
/// names one, so scripts get data and never escape codes. Notes about
/// images that cannot be previewed go to standard error.
struct ShowCommand: Command {
    static let protocolOption = Option(
        long: "protocol", valueName: "NAME",
        help: "auto (default: kitty or sixel when standard output is a terminal that speaks it, else none), kitty, sixel, or none (print the paths).",
        completion: .values(TerminalGraphics.choices)
    )
    static let widthOption = Option(
        long: "width", valueName: "COLUMNS",
        help: "Preview width in terminal columns, 1 to 1000 (default: the terminal's width, at most \(defaultColumns))."
    )

    static let idArgument = Argument(name: "ID", help: "The job.", completion: .dynamic("jobs"))
    static let name = "show"
    static let configuration = CommandConfiguration(
        abstract: "Preview a job's images in the terminal (kitty graphics or sixel when it supports them; else print the paths).",
        discussion: "Each preview is followed by the image's path. Off a terminal only the paths are printed, unless --protocol names a protocol. --json prints {\"id\", \"images\"} and no previews.",
        options: [protocolOption, widthOption],
        arguments: [Self.idArgument]
    )

    /// The widest default preview, in columns.
    static let defaultColumns = 60
    /// Pixels per cell when the terminal does not say (for sixel).
    static let defaultCellWidth = 10
    /// The largest file read for a preview.
    static let maximumFileSize = 64 << 20

    let global: GlobalOptions
    let id: String
    let requested: String
    let columns: Int?

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        id = arguments.argument(Self.idArgument) ?? ""
        requested = try arguments.choice(Self.protocolOption, from: TerminalGraphics.choices) ?? "auto"
        columns = try arguments.int(Self.widthOption, in: 1...1000)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let (job, paths) = try OpenCommand.savedImages(id, global: global, context: context)
        if global.json {
            let value: JSON = ["id": .string(job.id), "images": .array(paths.map(JSON.string))]
            context.stdout.write(Output.json(value, context: context))
            return .success
        }
        let graphics = TerminalGraphics.choose(
            requested: requested, isTerminal: context.isStandardOutputTerminal, environment: context.environment,
            deviceAttributes: { TerminalDevice.deviceAttributes() }
        )
        let terminal = context.isStandardOutputTerminal ? TerminalDevice.size() : nil
        let columns = self.columns ?? min(terminal?.columns ?? Self.defaultColumns, Self.defaultColumns)
        let cellWidth = terminal?.cellWidth ?? Self.defaultCellWidth
        for path in paths {
            if graphics != .none, let preview = Self.preview(path, graphics, columns: columns, cellWidth: cellWidth, context: context) {
                context.stdout.write(preview + "\n")
            }
            context.stdout.write(TerminalText.visible(path) + "\n")
        }
        return .success
    }

    /// The escapes that show the image at `path`, or nil (with a note on
    /// standard error) when it cannot be shown.
    static func preview(_ path: String, _ graphics: TerminalGraphics, columns: Int, cellWidth: Int, context: CommandContext) -> String? {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path, limit: maximumFileSize)
        } catch {
            context.stderr.write(TerminalText.visible("no preview of \(path): \(error)") + "\n")
            return nil
        }
        guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            context.stderr.write("no preview of \(TerminalText.visible(path)): not a PNG file\n")
            return nil
        }
        switch graphics {
        case .kitty:
            return KittyGraphics.encode(png: bytes, columns: columns)
        case .sixel:
            do {
                // Shrunk before compositing: a box average of opaque pixels is the same either way.
                let image = PreviewImage(try PNGCodec.decode(bytes).image.shrunk(toWidth: columns * cellWidth, height: .max))
                return SixelEncoder.encode(image)
            } catch {
                context.stderr.write(TerminalText.visible("no preview of \(path): \(error)") + "\n")
                return nil
            }
        case .none:
            return nil
        }
    }
}
