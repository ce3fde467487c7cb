@testable import JobStore
import Testing

@Suite struct JobIDTests {
    @Test func encodesTimeThenRandomnessInCrockfordBase32() {
        #expect(JobIDGenerator.encode(time: 0, high: 0, low: 0) == "00000000000000000000000000")
        #expect(JobIDGenerator.encode(time: (1 << 48) - 1, high: .max, low: .max) == "7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
        // The ULID spec's example time, 1469918176385 ms: "01ARYZ6S41".
        #expect(JobIDGenerator.encode(time: 1_469_918_176_385, high: 0, low: 0).hasPrefix("01ARYZ6S41"))
        #expect(JobIDGenerator.encode(time: 0, high: 0, low: 1) == "00000000000000000000000001")
        #expect(JobIDGenerator.encode(time: 0, high: 1, low: 0) == "0000000000000G000000000000", "bit 64 crosses from low to high")
    }

    @Test func idsFromOneGeneratorStrictlyIncrease() {
        let generator = JobIDGenerator()
        var previous = generator.next(milliseconds: 1_000)
        for step in 0..<10_000 {
            // The same millisecond, a later one, and a clock that went back.
            let next = generator.next(milliseconds: step % 3 == 0 ? 1_000 : UInt64(1_000 + step / 100))
            #expect(next > previous, "\(next) after \(previous)")
            #expect(JobIDGenerator.isValid(next))
            previous = next
        }
    }

    @Test func aGeneratorResumesAfterTheNewestIdEvenIfTheClockWentBack() {
        let newest = JobIDGenerator.encode(time: 5_000, high: 3, low: .max)
        #expect(JobIDGenerator.decode(newest)! == (5_000, 3, .max))
        #expect(JobIDGenerator.decode("01ARYZ6S41") == nil)
        let generator = JobIDGenerator()
        generator.resume(after: newest)
        let next = generator.next(milliseconds: 1_000)  // a clock behind the stored job
        #expect(next > newest)
        #expect(next == JobIDGenerator.encode(time: 5_000, high: 4, low: 0), "counted up past the carry")
        generator.resume(after: JobIDGenerator.encode(time: 10, high: 0, low: 0))
        #expect(generator.next(milliseconds: 1_000) > next, "an older id never moves the generator back")
    }

    @Test func shapesAreChecked() {
        #expect(JobIDGenerator.isValid(JobIDGenerator().next()))
        #expect(!JobIDGenerator.isValid("01ARYZ6S41"))
        #expect(!JobIDGenerator.isValid("01ARYZ6S41TSV4RRFFQ69G5FAU"), "U is not in the alphabet")
        #expect(!JobIDGenerator.isValid("81ARYZ6S41TSV4RRFFQ69G5FAV"), "beyond 48 bits of time")
        #expect(!JobIDGenerator.isValid("01aryz6s41tsv4rrffq69g5fav"), "lower case is not what we emit")
    }
}
