import Crypto
import Foundation
import NIOCore
import Testing
@testable import GPTService

@Suite struct QuotaDayTests {
    let seoul = QuotaDay(timeZone: TimeZone(identifier: "Asia/Seoul")!)

    func date(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    @Test func theDayIsTheConfiguredTimeZonesDay() {
        // 14:59:59 UTC is 23:59:59 in Seoul; a second later it is the next day there.
        let before = seoul.window(at: date("2026-12-01T14:59:59Z"))
        let after = seoul.window(at: date("2026-12-01T15:00:00Z"))
        #expect(before.name == "20261201")
        #expect(after.name == "20261202")
        #expect(before.resetAt == date("2026-12-01T15:00:00Z"))
        #expect(after.resetAt == date("2026-12-02T15:00:00Z"))
    }

    /// The remembered window answers only for its own day, whichever order the days are asked in.
    @Test func theRememberedWindowIsOnlyItsOwnDays() {
        let day = QuotaDay(timeZone: TimeZone(identifier: "Asia/Seoul")!)
        for (iso, name) in [("2026-12-02T03:00:00Z", "20261202"), ("2026-12-01T14:59:59Z", "20261201"),
                            ("2026-12-01T15:00:00Z", "20261202"), ("2026-12-02T14:59:59Z", "20261202"),
                            ("2026-12-02T15:00:00Z", "20261203"), ("2026-11-30T00:00:00Z", "20261130")] {
            #expect(day.window(at: date(iso)).name == name, "\(iso)")
        }
    }

    @Test func utcDayDiffers() {
        let utc = QuotaDay(timeZone: TimeZone(identifier: "UTC")!)
        #expect(utc.window(at: date("2026-12-01T15:00:00Z")).name == "20261201")
    }

    @Test func subjectsAreUsersOrKeyedDigestsOfNetworks() {
        let addresses = AddressDigest(secret: "test-secret")
        func subject(_ address: String, _ digest: AddressDigest = addresses) -> QuotaSubject {
            QuotaSubject(identity: nil, clientAddress: address, addresses: digest)
        }
        let anonymous = subject("203.0.113.5")
        #expect(anonymous.tier == .anonymous && !anonymous.key.contains("203.0.113.5"))
        #expect(anonymous.key == subject("203.0.113.5").key)
        #expect(anonymous.key != subject("203.0.113.6").key)
        // Keyed: the same address under another secret is another digest, so a plain hash of
        // every IPv4 address (a few minutes' work) reverses nothing.
        #expect(anonymous.key != subject("203.0.113.5", AddressDigest(secret: "other-secret")).key)
        #expect(!anonymous.key.contains(String(SHA256.hash(data: Data("gpt-quota:203.0.113.5".utf8)).hexString.prefix(24))))
        // IPv6: one /64 is one caller, whatever address in it they pick.
        #expect(subject("2001:db8:1:2::1").key == subject("2001:db8:1:2:ffff:ffff:ffff:ffff").key)
        #expect(subject("2001:db8:1:2::1").key != subject("2001:db8:1:3::1").key)
        let admin = QuotaSubject(identity: .init(userID: "a", role: .admin, tokenID: "t", issuedAtMilliseconds: 0), clientAddress: nil, addresses: addresses)
        #expect(admin.tier == .admin)
        let unverified = QuotaSubject(identity: .init(userID: "u", role: .user, tokenID: "t", issuedAtMilliseconds: 0), clientAddress: nil,
                                      addresses: addresses)
        #expect(unverified.tier == .unverified && unverified.key == "user:u")
    }

    @Test func breakerOpensAfterFailuresAndProbesOnce() {
        let breaker = CircuitBreaker(name: "test", failureThreshold: 2, cooldown: .seconds(10))
        let start = ContinuousClock.now
        breaker.failed(now: start)
        #expect(breaker.check(now: start) == .allowed)
        breaker.failed(now: start)
        guard case .open = breaker.check(now: start + .seconds(1)) else { Issue.record("should be open"); return }
        // After the cooldown one probe goes through, the next waits for its outcome.
        #expect(breaker.check(now: start + .seconds(11)) == .allowed)
        guard case .open = breaker.check(now: start + .seconds(11)) else { Issue.record("only one probe"); return }
        breaker.succeeded()
        #expect(breaker.check(now: start + .seconds(12)) == .allowed)
    }

    @Test func semanticIndexFindsTheNearestAndStaysBounded() {
        let index = SemanticIndex(capacity: 2, model: "test")
        index.insert(digest: "a", vector: [1, 0, 0])
        index.insert(digest: "b", vector: [0, 1, 0])
        #expect(index.nearest([0.9, 0.1, 0], threshold: 0.9).map(\.digest) == ["a"])
        #expect(index.nearest([0, 0, 1], threshold: 0.5).isEmpty)
        index.insert(digest: "c", vector: [0, 0, 1])
        #expect(index.count == 2)
        #expect(index.nearest([1, 0, 0], threshold: 0.5).isEmpty)  // "a", the oldest, went
        index.remove(digest: "b")
        #expect(index.nearest([0, 0, 1], threshold: 0.9).map(\.digest) == ["c"])
    }

    @Test func vectorsSurviveTheirRedisEncoding() {
        let vector: [Float] = [0.25, -1.5, 3.0e-5, 0]
        #expect(VectorCoding.decode(VectorCoding.encode(vector)) == vector)
        #expect(VectorCoding.decode("not base64!") == nil)
    }

    @Test func sseSplitsEventsAcrossBuffers() throws {
        var parser = ServerSentEvents()
        #expect(try parser.feed(.init(string: "data: {\"a\":")).isEmpty)
        #expect(try parser.feed(.init(string: "1}\r\n\r\ndata: [DONE]\n\n")) == ["{\"a\":1}", "[DONE]"])
        #expect(try parser.feed(.init(string: "event: x\ndata: one\ndata: two\n\n: comment\n\n")) == ["one\ntwo"])
    }

    /// An upstream that never ends a line cannot make the parser hold more than an event's worth.
    @Test func sseRefusesALineWithoutEnd() throws {
        var parser = ServerSentEvents()
        let block = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 << 10)
        #expect(throws: ServerSentEvents.TooLong.self) {
            for _ in 0..<((ServerSentEvents.maxEventBytes >> 16) + 2) { _ = try parser.feed(block) }
        }
    }
}
