import JSON
import Testing

@Suite struct JSONValueTests {
    @Test(arguments: ["1.50", "-0", "1E+2", "1e-7", "12345678901234567890123", "0.1", "-12.5e10", "9007199254740993"])
    func numbersKeepTheirText(literal: String) throws {
        let parsed = try JSONParser.parse("[\(literal)]")
        #expect(JSONSerializer.serializeToString(parsed) == "[\(literal)]")
    }

    @Test func integersAreExactUpTo2To53AndBeyondAsText() throws {
        #expect(try JSONParser.parse("9007199254740992").int64Value == 9_007_199_254_740_992)
        #expect(try JSONParser.parse("-9007199254740992").int64Value == -9_007_199_254_740_992)
        #expect(try JSONParser.parse("9223372036854775807").int64Value == Int64.max)
        #expect(try JSONParser.parse("9223372036854775808").int64Value == nil)
        #expect(try JSONParser.parse("3.0").intValue == 3)
        #expect(try JSONParser.parse("3e2").intValue == 300)
        #expect(try JSONParser.parse("3.5").intValue == nil)
    }

    @Test func numberEqualityIsNumeric() {
        #expect(JSONNumber(literal: "1")! == JSONNumber(literal: "1.0")!)
        #expect(JSONNumber(literal: "100")! == JSONNumber(literal: "1e2")!)
        #expect(JSONNumber(literal: "-0")! == JSONNumber(literal: "0")!)
        #expect(JSONNumber(literal: "9007199254740993")! != JSONNumber(literal: "9007199254740992")!)
        #expect(Set([JSONNumber(literal: "1")!, JSONNumber(literal: "1.0")!]).count == 1)
    }

    @Test func numberLiteralsAreValidated() {
        #expect(JSONNumber(literal: "12") != nil)
        #expect(JSONNumber(literal: "012") == nil)
        #expect(JSONNumber(literal: "1.") == nil)
        #expect(JSONNumber(literal: "") == nil)
        #expect(JSONNumber(literal: "1 ") == nil)
    }

    @Test func doublesWriteShortestValidText() throws {
        for value in [0.1, 1e-5, 1e20, -2.5, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 123456.789] {
            let number = try #require(JSONNumber(value))
            #expect(JSONNumber(literal: number.text) != nil, "\(number.text) is not a JSON number")
            #expect(number.double == value)
        }
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
    }

    @Test func objectsKeepOrderAndCompareWithout() throws {
        let parsed = try JSONParser.parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(parsed.objectValue?.keys == ["z", "a", "m"])
        #expect(JSONSerializer.serializeToString(parsed) == #"{"z":1,"a":2,"m":3}"#)
        #expect(parsed == (try JSONParser.parse(#"{"a":2,"m":3,"z":1}"#)))
        #expect(parsed.hashValue == (try JSONParser.parse(#"{"m":3,"z":1,"a":2}"#)).hashValue)
        #expect(parsed != (try JSONParser.parse(#"{"z":1,"a":2}"#)))
    }

    @Test func objectMutation() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["c"] = 3
        object["a"] = 10
        #expect(object.keys == ["a", "b", "c"])
        #expect(object["a"] == 10)
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object.removeValue(forKey: "zzz") == nil)
        var big = JSONObject()
        for index in 0..<100 { big["k\(index)"] = .number(JSONNumber(index)) }
        big["k50"] = nil
        #expect(big.count == 99)
        #expect(big["k51"] == 51)
        #expect(big["k50"] == nil)
    }

    @Test func accessors() throws {
        let value = try JSONParser.parse(#"{"s":"x","n":2,"b":true,"a":[1],"o":{},"z":null}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["n"]?.doubleValue == 2)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?[0] == 1)
        #expect(value["a"]?[5] == nil)
        #expect(value["o"]?.objectValue?.isEmpty == true)
        #expect(value["z"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?["x"] == nil)
        #expect(["null", "boolean", "number", "string", "array", "object"] == [JSON.null, true, 1, "s", [], [:]].map(\.typeName))
    }
}
