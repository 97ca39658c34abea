import Foundation
import Testing
@testable import GPTService

@Suite struct QuotaTests {
    @Test func onlyUpstreamCallsCountAndHeadersSayWhatIsLeft() async throws {
        try await GPTServer.run(["GPT_QUOTA_ANONYMOUS": "2"]) { server in
            let address = "198.51.100.\(Int.random(in: 1...250))"
            let first = try await server.ask("first question here", address: address)
            #expect(first.header("X-RateLimit-Limit") == "2" && first.header("X-RateLimit-Remaining") == "1")
            let reset = Int(first.header("X-RateLimit-Reset") ?? "") ?? 0
            let expectedReset = Int(QuotaDay(timeZone: TimeZone(identifier: "Asia/Seoul")!).window(at: Date()).resetAt.timeIntervalSince1970)
            #expect(reset == expectedReset)
            // A cache hit is free and still says what is left.
            let hit = try await server.ask("first question here", address: address)
            #expect(hit.source == "exact" && hit.header("X-RateLimit-Remaining") == "1")
            #expect(try await server.ask("second question here", address: address).header("X-RateLimit-Remaining") == "0")
            let over = try await server.ask("third question here", address: address)
            #expect(over.status == 429 && over.errorCode == "quota_exceeded")
            let retryAfter = Int(over.header("Retry-After") ?? "") ?? 0
            #expect(abs(retryAfter - (expectedReset - Int(Date().timeIntervalSince1970))) <= 2)
            #expect(over.header("X-RateLimit-Remaining") == "0")
            // Cached answers keep coming after the quota is spent.
            #expect(try await server.ask("first question here", address: address).status == 200)
            // Another address has its own quota.
            #expect(try await server.ask("third question here", address: "198.51.100.251").status == 200)
            #expect(try await server.stub.stats().requests == 3)

            let quota = try await server.call(.GET, "/api/gpt/quota", address: address)
            #expect(quota.json["limit"] as? Int == 2 && quota.json["used"] as? Int == 2 && quota.json["remaining"] as? Int == 0)
            #expect(quota["resetAt"] != nil)
            #expect(quota["timeZone"] == "Asia/Seoul")
        }
    }

    @Test func tiersGetTheirOwnLimitsAndAdminsNone() async throws {
        try await GPTServer.run(["GPT_QUOTA_ANONYMOUS": "1", "GPT_QUOTA_UNVERIFIED": "2", "GPT_QUOTA_VERIFIED": "3"]) { server in
            let unverified = try await server.token(verified: false)
            let verified = try await server.token(verified: true)
            let admin = try await server.token(role: .admin)
            #expect(try await server.call(.GET, "/api/gpt/quota", address: "203.0.113.77").json["limit"] as? Int == 1)
            #expect(try await server.call(.GET, "/api/gpt/quota", token: unverified).json["limit"] as? Int == 2)
            #expect(try await server.call(.GET, "/api/gpt/quota", token: verified).json["limit"] as? Int == 3)
            let adminQuota = try await server.call(.GET, "/api/gpt/quota", token: admin)
            #expect(adminQuota.json["limit"] is NSNull && adminQuota.header("X-RateLimit-Limit") == nil)

            var statuses: [Int] = []
            for i in 0..<3 { statuses.append(try await server.ask("unverified question \(i)", token: unverified).status) }
            #expect(statuses == [200, 200, 429])
            for i in 0..<5 { #expect(try await server.ask("admin question \(i)", token: admin).status == 200) }
            // The user's quota follows the user, not the address.
            #expect(try await server.ask("verified question", token: verified, address: "203.0.113.1").header("X-RateLimit-Remaining") == "2")
            #expect(try await server.ask("verified question 2", token: verified, address: "203.0.113.2").header("X-RateLimit-Remaining") == "1")
        }
    }

    @Test func concurrentCallsNeverPassTheLimit() async throws {
        try await GPTServer.run(["GPT_QUOTA_ANONYMOUS": "5"]) { server in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<20 { group.addTask { try await server.ask("distinct question number \(i)", address: "203.0.113.200").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 5)
            #expect(statuses.filter { $0 == 429 }.count == 15)
            #expect(try await server.stub.stats().requests == 5)
        }
    }

    @Test func aFailedUpstreamCallIsRefunded() async throws {
        try await GPTServer.run(["GPT_QUOTA_ANONYMOUS": "2"]) { server in
            try await server.stub.configure(["failure_rate": 1.0, "failure_status": 500])
            let failed = try await server.ask("will this fail", address: "203.0.113.9")
            #expect(failed.status == 503 && failed.errorCode == "upstream_unavailable")
            #expect(failed.header("Retry-After") != nil)
            let quota = try await server.call(.GET, "/api/gpt/quota", address: "203.0.113.9")
            #expect(quota.json["used"] as? Int == 0)
        }
    }

    @Test func theBurstLimitStopsFloodsBeforeTheDailyCount() async throws {
        try await GPTServer.run(["GPT_BURST_LIMIT": "2", "GPT_BURST_WINDOW_MS": "60000"]) { server in
            #expect(try await server.ask("flood one", address: "203.0.113.50").status == 200)
            #expect(try await server.ask("flood two", address: "203.0.113.50").status == 200)
            let third = try await server.ask("flood three", address: "203.0.113.50")
            #expect(third.status == 429 && third.errorCode == "rate_limited" && third.header("Retry-After") != nil)
            #expect(try await server.call(.GET, "/api/gpt/quota", address: "203.0.113.50").json["used"] as? Int == 2)
            // Cached answers are not limited.
            #expect(try await server.ask("flood one", address: "203.0.113.50").status == 200)
        }
    }

    @Test func anExhaustedBudgetServesOnlyTheCache() async throws {
        // 0.03 a call, a cap of 0.07: two calls fit, the third does not.
        try await GPTServer.run(["GPT_BUDGET_DAILY": "0.07", "GPT_MAX_TOKENS": "16"]) { server in
            #expect(try await server.ask("budget question one").status == 200)
            #expect(try await server.ask("budget question two").status == 200)
            let over = try await server.ask("budget question three")
            #expect(over.status == 503 && over.errorCode == "budget_exhausted" && over.header("Retry-After") != nil)
            #expect(try await server.ask("budget question one").source == "exact")
            #expect(try await server.stub.stats().requests == 2)
            // The refused call gave its quota unit back.
            #expect(try await server.call(.GET, "/api/gpt/quota").json["used"] as? Int == 2)
            // An operator raises the cap for every instance.
            try await server.withRedis { redis in
                try await SpendBudget(redis: redis, namespace: server.keyPrefix, day: QuotaDay(timeZone: .gmt), dailyCap: 0.07,
                                      prices: .init(perCall: 0.03, perThousandPromptTokens: 0, perThousandCompletionTokens: 0)).setCap(1)
            }
            #expect(try await server.ask("budget question three").status == 200)
        }
    }
}
