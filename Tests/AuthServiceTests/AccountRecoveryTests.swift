import AsyncHTTPClient
import Foundation
import Testing
import TestSupport
@testable import AuthService

@Suite struct EmailVerificationTests {
    @Test func theMailedTokenVerifiesOnceByPost() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let token = try #require(try await server.mailedToken(to: email, template: "verify_email"))
            let verified = try await server.call(.POST, "/api/auth/email/verify", json: ["token": token])
            #expect(verified.status == 200)
            #expect(verified.json["emailVerified"] as? Bool == true)
            let again = try await server.call(.POST, "/api/auth/email/verify", json: ["token": token])
            #expect(again.status == 422)
            #expect(again.errorCode == "invalid_token")
            #expect(try await server.auditActions().contains("user.email_verified"))

        }
    }

    /// A mail scanner fetches links: a GET of an old-style link only redirects to the page, and
    /// the token still verifies by POST afterwards.
    @Test func aGetUsesNothing() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let token = try #require(try await server.mailedToken(to: email, template: "verify_email"))
            try await HTTPClient.withHTTPClient(configuration: .init(redirectConfiguration: .disallow)) { client in
                func open(_ query: String) async throws -> HTTPReply {
                    try await HTTPReply.send(.GET, "http://127.0.0.1:\(server.port)/api/auth/email/verify?\(query)", address: "192.0.2.1", client: client)
                }
                let opened = try await open("token=\(token)")
                #expect(opened.status == 303)
                #expect(opened.header("Location") == "/verify-email?token=\(token)")
                #expect(try await open("token=%3Cscript%3E").header("Location") == "/verify-email")
            }
            #expect(try await server.login(email).json["user"].flatMap { $0 as? [String: Any] }?["emailVerified"] as? Bool == false)
            #expect(try await server.call(.POST, "/api/auth/email/verify", json: ["token": token]).status == 200)
        }
    }

    @Test func resendReplacesTheOldToken() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            let session = try await server.session(email)
            let old = try #require(try await server.mailedToken(to: email, template: "verify_email"))
            #expect(try await server.call(.POST, "/api/auth/email/resend").status == 401)
            #expect(try await server.call(.POST, "/api/auth/email/resend", token: session.access).status == 202)
            let new = try #require(try await server.mailedToken(to: email, template: "verify_email"))
            #expect(new != old)
            #expect(try await server.call(.POST, "/api/auth/email/verify", json: ["token": old]).status == 422)
            #expect(try await server.call(.POST, "/api/auth/email/verify", json: ["token": new]).status == 200)
            #expect(try await server.me(session.access).json["emailVerified"] as? Bool == true)
            // Already verified: accepted, and no new mail.
            #expect(try await server.call(.POST, "/api/auth/email/resend", token: session.access).status == 202)
            #expect(try await server.mailedToken(to: email, template: "verify_email") == new)
        }
    }

    @Test func resendIsLimitedPerAccount() async throws {
        try await AuthServer.run(["MAIL_PER_ACCOUNT_LIMIT": "2"]) { server in
            let session = try await server.session()
            for _ in 0..<2 { #expect(try await server.call(.POST, "/api/auth/email/resend", token: session.access).status == 202) }
            let limited = try await server.call(.POST, "/api/auth/email/resend", token: session.access)
            #expect(limited.status == 429)
            #expect(limited.headers.first(name: "Retry-After") != nil)
        }
    }

    @Test func anExpiredTokenIsRefused() async throws {
        let clock = TestClock()
        try await AuthServer.run(["VERIFY_TOKEN_TTL_SECONDS": "60"], clock: clock) { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            let token = try #require(try await server.mailedToken(to: email, template: "verify_email"))
            clock.advance(by: .milliseconds(60_001))
            #expect(try await server.call(.POST, "/api/auth/email/verify", json: ["token": token]).status == 422)
        }
    }
}

@Suite struct PasswordResetTests {
    @Test func forgotAnswers202ForAnyEmailAndMailsOnlyRealAccounts() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail(), stranger = AuthServer.newEmail()
            try await server.signup(email)
            let known = try await server.call(.POST, "/api/auth/password/forgot", json: ["email": email])
            let unknown = try await server.call(.POST, "/api/auth/password/forgot", json: ["email": stranger])
            #expect(known.status == 202 && unknown.status == 202)
            #expect(known.body == unknown.body)
            #expect(try await server.waitForMailedToken(to: email, template: "password_reset") != nil)
            #expect(try await server.mailedToken(to: stranger, template: "password_reset") == nil)
            #expect(try await server.call(.POST, "/api/auth/password/forgot", json: ["email": "nonsense"]).status == 422)
        }
    }

    @Test func resetRequestsPerAddressAreLimited() async throws {
        try await AuthServer.run(["FORGOT_ADDRESS_LIMIT": "2"]) { server in
            let address = randomAddress()
            for _ in 0..<2 {
                #expect(try await server.call(.POST, "/api/auth/password/forgot", json: ["email": AuthServer.newEmail()], address: address).status == 202)
            }
            let limited = try await server.call(.POST, "/api/auth/password/forgot", json: ["email": AuthServer.newEmail()], address: address)
            #expect(limited.status == 429)
        }
    }

    @Test func resetSetsThePasswordEndsEverySessionAndIsSingleUse() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            let session = try await server.session(email)
            #expect(try await server.call(.POST, "/api/auth/password/forgot", json: ["email": email]).status == 202)
            let first = try #require(try await server.waitForMailedToken(to: email, template: "password_reset"))
            #expect(try await server.call(.POST, "/api/auth/password/forgot", json: ["email": email]).status == 202)
            let token = try #require(try await server.waitForMailedToken(to: email, template: "password_reset", other: first))
            // A new request cancels the earlier link.
            #expect(try await server.call(.POST, "/api/auth/password/reset", json: ["token": first, "newPassword": "new password 1"]).status == 422)
            let weak = try await server.call(.POST, "/api/auth/password/reset", json: ["token": token, "newPassword": "short"])
            #expect(weak.status == 422)
            #expect(weak.errorCode == "invalid_password")
            #expect(try await server.call(.POST, "/api/auth/password/reset", json: ["token": token, "newPassword": "new password 1"]).status == 204)

            #expect(try await server.login(email).status == 401)
            #expect(try await server.login(email, password: "new password 1").status == 200)
            #expect(try await server.call(.POST, "/api/auth/refresh", json: ["refreshToken": session.refresh]).status == 401)
            #expect(try await server.me(session.access).errorCode == "token_revoked")
            #expect(try await server.call(.POST, "/api/auth/password/reset", json: ["token": token, "newPassword": "new password 2"]).status == 422)
            let actions = try await server.auditActions()
            #expect(actions.contains("user.password_reset_requested") && actions.contains("user.password_reset"))
        }
    }

    /// A queued mail, or a dead one, must not hold a usable link: neither the verification nor the
    /// reset token appears anywhere in the jobs table, and what is there opens only with the key
    /// Auth shares with the email worker.
    @Test func noLiveTokenWaitsInTheJobsTable() async throws {
        try await AuthServer.run { server in
            let email = AuthServer.newEmail()
            try await server.signup(email)
            #expect(try await server.call(.POST, "/api/auth/password/forgot", json: ["email": email]).status == 202)
            let verify = try #require(try await server.mailedToken(to: email, template: "verify_email"))
            let reset = try #require(try await server.waitForMailedToken(to: email, template: "password_reset"))
            let stored = try await server.withDatabase { db in
                try await db.query("SELECT payload::text FROM queue.jobs", logger: TestEnvironment.logger).map { try $0.decode(String.self) }
            }.joined(separator: "\n")
            #expect(!stored.isEmpty)
            #expect(!stored.contains(verify) && !stored.contains(reset))
            #expect(!stored.contains("token="))
        }
    }
}
