import Foundation
import Hummingbird
import PropertyBased
import Testing
@testable import ContentService
@testable import Shared

/// Every number a client sends, at the edges of `Int`: a clear refusal or a page within the
/// limits, never an overflow (which ends the process).
@Suite struct PagingPropertyTests {
    let limits = PagingLimits()

    /// Page numbers are drawn near the values where `(page - 1) * size` and `+ size` overflow,
    /// near both ends of `Int`, and small, for every size a client may ask for and some it may not.
    static let pages = Gen.oneOf(
        Gen.int(in: -1000...1000).eraseToAnySequence(),
        Gen.int().eraseToAnySequence(),
        Gen.int(in: (Int.max - 1000)...Int.max).eraseToAnySequence(),
        Gen.int(in: Int.min...(Int.min + 1000)).eraseToAnySequence(),
        Gen.int(in: (Int.max / 100 - 1000)...(Int.max / 100 + 1000)).eraseToAnySequence(),
        Gen.int(in: (Int.max / 7 - 1000)...(Int.max / 7 + 1000)).eraseToAnySequence())

    func parameters(_ pairs: [(String, String)]) -> Parameters {
        var parameters = Parameters()
        for (key, value) in pairs { parameters[Substring(key)] = Substring(value) }
        return parameters
    }

    func check(_ query: Parameters, size: Int) {
        do {
            let page = try limits.request(query, cursors: PageCursor(secret: Data("test".utf8)),
                                          paging: Paging(fingerprint: "test", style: .cursorOrNumber, items: "posts"))
            #expect((1...limits.maxSize).contains(page.size))
            #expect(page.offset >= 0 && page.offset <= limits.maxOffsetRows - page.size, "offset \(page.offset)")
        } catch let error as APIError {
            #expect([400, 422].contains(error.status.code), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func offsetPagesNeverOverflow() async {
        await propertyCheck(count: 2000, input: Self.pages, Gen.int(in: -5...205)) { page, size in
            check(parameters([("page", String(page)), ("size", String(size))]), size: size)
            // The size the listing picks when none is given, and the numbers as text past `Int`.
            check(parameters([("page", String(page))]), size: limits.defaultSize)
            check(parameters([("page", String(page) + "0"), ("size", String(size))]), size: size)
        }
    }

    @Test func theEdgesThatOnceTrapped() {
        for size in 1...100 {
            for page in [Int.max / size, (Int.max / size) &+ 1, (Int.max / size) &+ 2, Int.max, Int.min, 0, -1] {
                check(parameters([("page", String(page)), ("size", String(size))]), size: size)
            }
        }
    }

    /// Upload limits compare a client's length with sums from the database and settings an
    /// operator chose: at any extreme, an answer and never a trap.
    @Test func uploadQuotaArithmeticNeverOverflows() async {
        let extremes = Gen.oneOf(
            Gen.int64().eraseToAnySequence(), Gen.int64(in: (Int64.max - 10)...Int64.max).eraseToAnySequence(),
            Gen.int64(in: Int64.min...(Int64.min + 10)).eraseToAnySequence(), Gen.int64(in: -10...10).eraseToAnySequence())
        await propertyCheck(count: 2000, input: extremes, extremes, extremes, extremes) { bytes, today, inFlight, limit in
            var quota = UploadQuota()
            quota.maxBytesPerDay = limit
            quota.maxBytesInFlight = limit
            quota.minFreeBytes = limit
            let usage = UploadQuota.Usage(openUploads: 0, bytesInFlight: inFlight, bytesToday: today)
            _ = try? quota.admit(bytes, usage: usage)
            _ = try? quota.checkSpace(for: bytes, free: today)
        }
    }
}
