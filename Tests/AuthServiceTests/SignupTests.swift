import Foundation
import Testing
@testable import AuthService

@Suite struct SignupTests {
    @Test func signupCreatesAnAccountAndEnqueuesItsMailAndEvent() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            let reply = try await server.signup("  \(email.uppercased()) ", nickname: " Ann ")
            #expect(reply.status == 201)
            #expect(reply["email"] == email)
            #expect(reply["nickname"] == "Ann")
            #expect(reply["role"] == "USER")
            #expect(reply.json["emailVerified"] as? Bool == false)
            #expect(reply["id"].flatMap(UUID.init(uuidString:)) != nil)
            #expect(reply["createdAt"].flatMap { try? Date($0, strategy: .iso8601) } != nil)
            #expect(reply.json["passwordHash"] == nil && !reply.body.contains("$2b$"))

            #expect(try await server.mailedToken(to: email, template: "verify_email") != nil)
            let welcome = try await server.withDatabase { db in
                try await db.query("SELECT count(*) FROM queue.jobs WHERE payload->>'template' = 'welcome' AND payload->>'to' = \(email)",
                                   logger: .init(label: "t"))[0].decode(Int.self)
            }
            #expect(welcome == 1)
            #expect(try await server.auditActions() == ["user.signed_up"])
        }
    }

    @Test func duplicateEmailIsAConflictWhateverItsCase() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            #expect(try await server.signup(email).status == 201)
            let again = try await server.signup(email.uppercased())
            #expect(again.status == 409)
            #expect(again.errorCode == "email_taken")
        }
    }

    @Test func invalidFieldsAre422AndNothingIsStored() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            let cases: [(email: String, password: String, nickname: String, code: String)] = [
                ("not-an-email", "correct horse", "Ann", "invalid_email"),
                ("a@b", "correct horse", "Ann", "invalid_email"),
                (email, "short", "Ann", "invalid_password"),
                // 73 bytes: bcrypt would silently ignore the last one.
                (email, String(repeating: "x", count: 73), "Ann", "invalid_password"),
                // 72 bytes of text but 73 of UTF-8.
                (email, String(repeating: "x", count: 71) + "é", "Ann", "invalid_password"),
                (email, "password\u{0}suffix", "Ann", "invalid_password"),
                (email, "correct horse", "   ", "invalid_nickname"),
                (email, "correct horse", String(repeating: "n", count: 51), "invalid_nickname"),
                // 50 characters on screen, 100 code points even composed (no precomposed q-acute):
                // too long for the column. (Decomposed "é" composes to one code point and fits.)
                (email, "correct horse", String(repeating: "q\u{301}", count: 50), "invalid_nickname"),
                // Invisible characters cannot make a name pass for another.
                (email, "correct horse", "Ann\u{200B}", "invalid_nickname"),
                // The mailer could never send to it.
                ("jörg@example.de", "correct horse", "Ann", "invalid_email"),
            ]
            for c in cases {
                let reply = try await server.signup(c.email, password: c.password, nickname: c.nickname)
                #expect(reply.status == 422, "\(c)")
                #expect(reply.errorCode == c.code, "\(c)")
            }
            #expect(try await server.auditActions().isEmpty)
            // Exactly 72 bytes is accepted, and is the whole password.
            let password72 = String(repeating: "y", count: 72)
            #expect(try await server.signup(email, password: password72).status == 201)
            #expect(try await server.login(email, password: password72).status == 200)
            #expect(try await server.login(email, password: String(password72.dropLast()) + "z").status == 401)
        }
    }

    @Test func malformedBodiesAre4xxNot500() async throws {
        try await AuthServer.run { server in
            // A missing field is the client's mistake in a field, named in plain words.
            let missing = try await server.call(.POST, "/api/auth/signup", json: ["email": AuthServer.newEmail()])
            #expect(missing.status == 422)
            #expect(missing.errorCode == "missing_field")
            var request = try await server.call(.POST, "/api/auth/login", json: ["email": "x@example.com"])
            #expect(request.status == 422 && request.errorCode == "missing_field")
            request = try await server.call(.POST, "/api/auth/login", json: ["email": "", "password": ""])
            #expect(request.status == 422)
        }
    }

    @Test func signupsPerAddressAreLimited() async throws {
        try await AuthServer.run(["SIGNUP_ADDRESS_LIMIT": "2"]) { server in
            let address = "198.51.100.\(Int.random(in: 1...254))"
            for _ in 0..<2 {
                let reply = try await server.call(.POST, "/api/auth/signup",
                    json: ["email": AuthServer.newEmail(), "password": "correct horse", "nickname": "N"], address: address)
                #expect(reply.status == 201)
            }
            let third = try await server.call(.POST, "/api/auth/signup",
                json: ["email": AuthServer.newEmail(), "password": "correct horse", "nickname": "N"], address: address)
            #expect(third.status == 429)
            #expect(Int(third.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
        }
    }
}
