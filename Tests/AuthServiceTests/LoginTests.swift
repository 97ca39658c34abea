import Foundation
import Testing
import Shared
import TestSupport
@testable import AuthService

@Suite struct LoginTests {
    @Test func loginAnswersTokensAndTheUser() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let reply = try await server.login(email.uppercased())
            #expect(reply.status == 200)
            #expect(reply["tokenType"] == "Bearer")
            #expect(reply.json["expiresIn"] as? Int == 600)
            #expect(reply["refreshToken"]?.utf8.count == 43)
            #expect((reply.json["user"] as? [String: Any])?["email"] as? String == email)
            let me = try await server.call(.GET, "/api/users/me", token: reply["accessToken"])
            #expect(me.status == 200)
            #expect(me["email"] == email)
            #expect(Set(me.json.keys) == ["id", "email", "nickname", "role", "emailVerified", "createdAt"])
            #expect(try await server.auditActions() == ["user.signed_up", "user.logged_in"])
        }
    }

    /// Unknown email and wrong password: same status, same body, and (with a dummy hash at the
    /// real cost) the same time.
    @Test func unknownEmailAndWrongPasswordAreIndistinguishable() async throws {
        let settings = ["BCRYPT_COST": "10", "LOGIN_PAIR_FAILURE_LIMIT": "100000", "LOGIN_ACCOUNT_FAILURE_LIMIT": "100000"]
        try await AuthServer.run(settings) { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let unknown = AuthServer.newEmail()
            var wrongTimes: [Duration] = []
            var unknownTimes: [Duration] = []
            var bodies = Set<String>()
            let clock = ContinuousClock()
            // Pairs in turn-about order, so neither kind always goes first.
            for round in 0..<200 {
                for known in round.isMultiple(of: 2) ? [true, false] : [false, true] {
                    var reply: AuthServer.Reply?
                    let took = try await clock.measure { reply = try await server.login(known ? email : unknown, password: "wrong password") }
                    if known { wrongTimes.append(took) } else { unknownTimes.append(took) }
                    #expect(reply?.status == 401)
                    bodies.insert(reply?.body ?? "")
                }
            }
            #expect(bodies.count == 1, "\(bodies)")
            #expect(bodies.first?.contains("invalid_credentials") == true)
            let wrong = median(wrongTimes), missing = median(unknownTimes)
            // Each pair ran back to back, so the machine's load changes both alike: the median of
            // the pairs' differences is the difference a client could see, with the load taken out.
            let gap = median(zip(wrongTimes, unknownTimes).map { $0 - $1 })
            print("login medians: wrong password \(wrong), unknown email \(missing), paired difference \(gap)")
            #expect(abs(gap.milliseconds) < 10)
            // And both really paid for a hash (cost 10 is tens of milliseconds here).
            #expect(missing > .milliseconds(20))
        }
    }

    @Test func bannedUserWithTheRightPasswordIsForbidden() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            try await server.withDatabase { db in
                _ = try await db.query("UPDATE auth.users SET banned_at = now() WHERE email = \(email)", logger: .init(label: "t"))
            }
            let right = try await server.login(email)
            #expect(right.status == 403)
            #expect(right.errorCode == "account_banned")
            #expect(try await server.login(email, password: "wrong password").status == 401)
        }
    }

    @Test func failuresFromOneAddressThrottleThatAddressOnlyAndExpire() async throws {
        let clock = TestClock()
        try await AuthServer.run(["LOGIN_PAIR_FAILURE_LIMIT": "3", "LOGIN_PAIR_WINDOW_SECONDS": "60"], clock: clock) { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let attacker = randomAddress()
            for _ in 0..<3 { #expect(try await server.login(email, password: "guess guess", address: attacker).status == 401) }
            let blocked = try await server.login(email, address: attacker)
            #expect(blocked.status == 429)
            #expect(blocked.errorCode == "too_many_attempts")
            // Until the first failure leaves the window: a loaded machine may take seconds to get here.
            #expect((1...60).contains(Int(blocked.headers.first(name: "Retry-After") ?? "") ?? 0))
            // The owner elsewhere is not locked out.
            #expect(try await server.login(email, address: randomAddress()).status == 200)
            // Hammering while blocked, half a window later, does not extend the block...
            clock.advance(by: .seconds(30))
            for _ in 0..<5 { #expect(try await server.login(email, password: "guess guess", address: attacker).status == 429) }
            // ...which ends a window after the failures.
            clock.advance(by: .milliseconds(30_001))
            #expect(try await server.login(email, address: attacker).status == 200)
        }
    }

    @Test func distributedGuessingLocksUnknownAddressesButNotTheOwners() async throws {
        try await AuthServer.run(["LOGIN_ACCOUNT_FAILURE_LIMIT": "4", "LOGIN_ACCOUNT_WINDOW_SECONDS": "60"]) { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let home = randomAddress()
            #expect(try await server.login(email, address: home).status == 200)
            for _ in 0..<4 { #expect(try await server.login(email, password: "guess guess", address: randomAddress()).status == 401) }
            let botnet = try await server.login(email, password: "guess guess", address: randomAddress())
            #expect(botnet.status == 429)
            #expect(try await server.login(email, address: randomAddress()).status == 429)
            // The owner's usual address still gets in.
            #expect(try await server.login(email, address: home).status == 200)
        }
    }

    @Test func oneAddressCannotSprayManyAccounts() async throws {
        try await AuthServer.run(["LOGIN_ADDRESS_LIMIT": "3"]) { server in
            let address = randomAddress()
            for _ in 0..<3 {
                #expect(try await server.login(AuthServer.newEmail(), password: "Winter2026!", address: address).status == 401)
            }
            let sprayed = try await server.login(AuthServer.newEmail(), password: "Winter2026!", address: address)
            #expect(sprayed.status == 429)
            #expect(try await server.auditActions().filter { $0 == "user.login_failed" }.count == 3)
        }
    }

    /// Guesses sent all at once cannot slip under the failure limit while their hashes run.
    @Test func aBurstOfConcurrentGuessesIsCountedAsItArrives() async throws {
        try await AuthServer.run(["LOGIN_PAIR_FAILURE_LIMIT": "3"]) { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let attacker = randomAddress()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await server.login(email, password: "guess guess", address: attacker).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count == 3)
            #expect(statuses.filter { $0 == 429 }.count == 9)
        }
    }

    /// More logins than one hash thread can start within the deadline: the rest are refused at once.
    @Test func loginsBeyondTheHashDeadlineAre503WithRetryAfter() async throws {
        let settings = ["BCRYPT_COST": "10", "BCRYPT_THREADS": "1", "BCRYPT_MAX_WAIT_MS": "200"]
        try await AuthServer.run(settings) { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let shedBefore = try await server.metric(#"auth_logins_total{outcome="shed"}"#)
            let replies = try await withThrowingTaskGroup(of: AuthServer.Reply.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await server.login(email, password: "wrong password", address: randomAddress()) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let shed = replies.filter { $0.status == 503 }
            #expect(!shed.isEmpty)
            // Booked back one after another from a second on (`RetryPacing`).
            #expect(shed.allSatisfy { $0.errorCode == "overloaded" && (1...3).contains(Int($0.headers.first(name: "Retry-After") ?? "") ?? 0) })
            #expect(replies.allSatisfy { $0.status == 503 || $0.status == 401 })
            #expect(replies.contains { $0.status == 401 })
            // Counted as shed, not lost between the outcomes (other tests may shed too: at least).
            let shedAfter = try await server.metric(#"auth_logins_total{outcome="shed"}"#)
            #expect(shedAfter - shedBefore >= Double(shed.count), "\(shedBefore) -> \(shedAfter)")
        }
    }

    @Test func oddEmailsAtLoginAreUnknownAccountsNotErrors() async throws {
        try await AuthServer.run { server in
            for email in ["a\u{0}@example.com", "jörg@example.de", "no-at-sign", String(repeating: "x", count: 300) + "@example.com"] {
                let reply = try await server.login(email, password: "whatever password")
                #expect(reply.status == 401, "\(email.debugDescription)")
                #expect(reply.errorCode == "invalid_credentials")
            }
        }
    }

    @Test func ipv6ClientsAreThrottledPerSlash64() {
        let a = ClientNetwork.key("2001:db8:1:2:aaaa::1"), b = ClientNetwork.key("2001:db8:1:2:bbbb:cccc:dddd:2")
        #expect(a == b)
        #expect(a != ClientNetwork.key("2001:db8:1:3::1"))
        #expect(ClientNetwork.key("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(ClientNetwork.key("192.0.2.7") == "192.0.2.7")
        #expect(ClientNetwork.key("unknown") == "unknown")
    }

    @Test func aWeakerHashIsReplacedAtTheNextLoginAndAStrongerOneKept() async throws {
        try await AuthServer.run(["BCRYPT_COST": "5"]) { server in
            func hash(cost: Int) async throws -> String {
                let hasher = PasswordHasher(settings: .init(cost: cost, threads: 1, maxWait: .seconds(30)))
                defer { Task { try await hasher.shutdown() } }
                return try await hasher.hash("correct horse")
            }
            func storedHash(_ email: String) async throws -> String {
                try await server.withDatabase { db in
                    try await db.query("SELECT password_hash FROM auth.users WHERE email = \(email)", logger: TestEnvironment.logger)
                        .first!.decode(String.self)
                }
            }
            func store(_ hash: String, for email: String) async throws {
                try await server.withDatabase { db in
                    _ = try await db.query("UPDATE auth.users SET password_hash = \(hash) WHERE email = \(email)", logger: TestEnvironment.logger)
                }
            }
            // As if one account was made before BCRYPT_COST went from 4 to 5, and another while
            // it was 6.
            let weak = AuthServer.newEmail(), strong = AuthServer.newEmail()
            try await server.signup(weak)
            try await server.signup(strong)
            let weakHash = try await hash(cost: 4), strongHash = try await hash(cost: 6)
            try await store(weakHash, for: weak)
            try await store(strongHash, for: strong)

            // A wrong password changes nothing.
            #expect(try await server.login(weak, password: "wrong password").status == 401)
            // The right one logs in at once, and the hash is replaced at cost 5 just after.
            #expect(try await server.login(weak).status == 200)
            #expect(try await server.login(strong).status == 200)
            var stored = weakHash
            for _ in 0..<100 where stored == weakHash {
                try await Task.sleep(for: .milliseconds(50))
                stored = try await storedHash(weak)
            }
            #expect(stored.hasPrefix("$2b$05$"))
            #expect(try await server.login(weak).status == 200)
            #expect(try await server.login(weak, password: "wrong password").status == 401)
            // A lower setting never weakens a stored hash.
            #expect(try await storedHash(strong) == strongHash)
        }
    }

    @Test func tooLongPasswordsNeverMatch() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            let password = String(repeating: "p", count: 72)
            try await server.signup(email, password: password)
            // bcrypt would ignore the 73rd byte and accept this.
            #expect(try await server.login(email, password: password + "x").status == 401)
            #expect(try await server.login(email, password: password).status == 200)
        }
    }
}

func randomAddress() -> String { "10.\(Int.random(in: 0...255)).\(Int.random(in: 0...255)).\(Int.random(in: 1...254))" }

func median(_ values: [Duration]) -> Duration {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}
