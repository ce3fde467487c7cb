import JSONRPC
import Testing

/// Feeds `chunks` and collects the lines (as strings) and the outcomes.
private func frame(_ chunks: [[UInt8]], limit: Int = 1 << 20, pauseAfter: Int? = nil) -> (lines: [String], outcomes: [LineFramer.Outcome]) {
    var framer = LineFramer(maximumLineLength: limit)
    var lines: [String] = []
    var outcomes: [LineFramer.Outcome] = []
    for chunk in chunks {
        let outcome = chunk.withUnsafeBytes { bytes in
            framer.feed(bytes) { line in
                lines.append(String(decoding: line, as: UTF8.self))
                return pauseAfter.map { lines.count < $0 } ?? true
            }
        }
        outcomes.append(outcome)
    }
    return (lines, outcomes)
}

@Suite struct LineFramerTests {
    let stream = Array("{\"a\":1}\n{\"b\":2}\n\n{\"c\":\"x y\"}\n".utf8)

    @Test func wholeBufferGivesEveryLine() {
        #expect(frame([stream]).lines == [#"{"a":1}"#, #"{"b":2}"#, "", #"{"c":"x y"}"#])
    }

    @Test func oneByteAtATimeGivesTheSameLines() {
        #expect(frame(stream.map { [$0] }).lines == frame([stream]).lines)
    }

    @Test func everySplitPointGivesTheSameLines() {
        let expected = frame([stream]).lines
        for split in 0...stream.count {
            #expect(frame([Array(stream[..<split]), Array(stream[split...])]).lines == expected, "split at \(split)")
        }
    }

    @Test func aPartialLineWaitsForItsNewline() {
        var framer = LineFramer(maximumLineLength: 100)
        var lines: [String] = []
        let first = Array("{\"par".utf8).withUnsafeBytes { framer.feed($0) { lines.append(String(decoding: $0, as: UTF8.self)); return true } }
        #expect(first == .consumed)
        #expect(lines.isEmpty)
        #expect(framer.bufferedByteCount == 5)
        _ = Array("tial\":1}\n".utf8).withUnsafeBytes { framer.feed($0) { lines.append(String(decoding: $0, as: UTF8.self)); return true } }
        #expect(lines == [#"{"partial":1}"#])
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func aLineOfExactlyTheLimitPassesAndOneMoreOverflows() {
        let limit = 10
        #expect(frame([Array(String(repeating: "x", count: limit).utf8) + [0x0A]], limit: limit).outcomes == [.consumed])
        #expect(frame([Array(String(repeating: "x", count: limit + 1).utf8) + [0x0A]], limit: limit).outcomes == [.overflow])
    }

    @Test func overflowIsFoundBeforeTheNewlineArrives() {
        // 11 bytes with no newline in pieces: the framer must not wait for the end.
        let pieces = Array(repeating: Array("xxxx".utf8), count: 3)
        let result = frame(pieces, limit: 10)
        #expect(result.outcomes == [.consumed, .consumed, .overflow])
        #expect(result.lines.isEmpty)
    }

    @Test func overflowInABufferedContinuationIsFound() {
        let result = frame([Array("xxxxxxxx".utf8), Array("xxxxxxxx\n".utf8)], limit: 10)
        #expect(result.outcomes == [.consumed, .overflow])
    }

    @Test func afterOverflowNothingMoreIsDelivered() {
        let result = frame([Array(String(repeating: "x", count: 20).utf8), Array("\n{}\n".utf8)], limit: 10)
        #expect(result.outcomes == [.overflow, .overflow])
        #expect(result.lines.isEmpty)
    }

    @Test func pauseKeepsTheRestInOrderForResume() {
        var framer = LineFramer(maximumLineLength: 100)
        var lines: [String] = []
        let outcome = Array("1\n2\n3\n4".utf8).withUnsafeBytes { bytes in
            framer.feed(bytes) { line in
                lines.append(String(decoding: line, as: UTF8.self))
                return lines.count < 2
            }
        }
        #expect(outcome == .paused)
        #expect(lines == ["1", "2"])
        #expect(framer.isPaused)
        // More data while paused is appended after what waits.
        _ = Array("\n5\n".utf8).withUnsafeBytes { bytes in
            framer.feed(bytes) { line in
                lines.append(String(decoding: line, as: UTF8.self))
                return true
            }
        }
        #expect(lines == ["1", "2", "3", "4", "5"])
        #expect(!framer.isPaused)
    }

    @Test func resumeDeliversWhatAPauseLeft() {
        var framer = LineFramer(maximumLineLength: 100)
        var lines: [String] = []
        _ = Array("a\nb\nc\n".utf8).withUnsafeBytes { bytes in
            framer.feed(bytes) { line in
                lines.append(String(decoding: line, as: UTF8.self))
                return false
            }
        }
        #expect(lines == ["a"])
        let outcome = framer.resume { line in
            lines.append(String(decoding: line, as: UTF8.self))
            return true
        }
        #expect(outcome == .consumed)
        #expect(lines == ["a", "b", "c"])
    }

    @Test func takeBufferedHandsOverWhatFollowsTheLinesRead() {
        // A header line, then a body that is not lines: the reader takes the
        // rest raw, and the framer starts again from nothing.
        var framer = LineFramer(maximumLineLength: 100)
        var lines: [String] = []
        _ = Array("head\nbody\nmore".utf8).withUnsafeBytes { bytes in
            framer.feed(bytes) { lines.append(String(decoding: $0, as: UTF8.self)); return false }
        }
        #expect(lines == ["head"])
        #expect(framer.takeBuffered() == Array("body\nmore".utf8))
        #expect(framer.bufferedByteCount == 0)
        #expect(!framer.isPaused)
        _ = Array("next\n".utf8).withUnsafeBytes { bytes in
            framer.feed(bytes) { lines.append(String(decoding: $0, as: UTF8.self)); return true }
        }
        #expect(lines == ["head", "next"])
    }

    @Test func finishDeliversALastLineWithoutNewline() {
        var framer = LineFramer(maximumLineLength: 100)
        var lines: [String] = []
        _ = Array("one\ntwo".utf8).withUnsafeBytes { bytes in
            framer.feed(bytes) { lines.append(String(decoding: $0, as: UTF8.self)); return true }
        }
        #expect(lines == ["one"])
        _ = framer.finish { lines.append(String(decoding: $0, as: UTF8.self)); return true }
        #expect(lines == ["one", "two"])
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func aLongLineInManySmallPiecesIsNotQuadratic() {
        // 4 MiB in 4 KiB pieces: linear work keeps this well under a second.
        let piece = [UInt8](repeating: 0x61, count: 4096)
        var framer = LineFramer(maximumLineLength: 8 << 20)
        var count = 0
        for _ in 0..<1024 {
            _ = piece.withUnsafeBytes { framer.feed($0) { _ in count += 1; return true } }
        }
        _ = [UInt8(0x0A)].withUnsafeBytes { framer.feed($0) { line in count += line.count == 4 << 20 ? 1 : 100; return true } }
        #expect(count == 1)
    }
}
