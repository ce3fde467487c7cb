@testable import CommandLineKit
import Testing

@Suite struct TerminalTextTests {
    @Test func everyControlIsShownNotSent() {
        #expect(TerminalText.visible("plain text, é and 猫") == "plain text, é and 猫")
        #expect(TerminalText.visible("a\u{1B}]52;c;aGk=\u{07}b") == #"a\x1b]52;c;aGk=\x07b"#)
        #expect(TerminalText.visible("\r\n\t\u{0}\u{7F}") == #"\r\n\t\x00\x7f"#)
        #expect(TerminalText.visible("\u{9B}2J\u{85}\u{A0}") == #"\u{9b}2J\u{85}"# + "\u{A0}", "C1 shown; U+00A0 is not a control")
        #expect(TerminalText.visible(#"back\slash"#) == #"back\slash"#)
    }

    @Test func linesCanBeKeptForMessagesOfSeveralLines() {
        #expect(TerminalText.visible("one\ntwo\u{1B}[2J", keepingLineBreaks: true) == "one\ntwo" + #"\x1b[2J"#)
        #expect(TerminalText.visible("one\r\ntwo", keepingLineBreaks: true) == #"one\r"# + "\ntwo")
    }
}
