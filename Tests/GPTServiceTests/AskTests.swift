import Foundation
import Testing
import TestSupport
@testable import GPTService

/// The question path through HTTP against real Redis and Postgres, with a private LLM stub.
@Suite struct AskTests {
    @Test func answersFromTheUpstreamThenFromTheCache() async throws {
        try await GPTServer.run { server in
            let first = try await server.ask("What is the capital of France?")
            #expect(first.status == 200)
            #expect(first.answer == "Stub answer to: What is the capital of France?")
            #expect(first.source == "upstream" && first.json["cached"] as? Bool == false)
            #expect(first["model"] == server.model)
            let again = try await server.ask("  what is the CAPITAL of france  ")
            #expect(again.status == 200 && again.source == "exact" && again.json["cached"] as? Bool == true)
            #expect(again.answer == first.answer)
            #expect(try await server.stub.stats().requests == 1)
        }
    }

    @Test(arguments: ["", "   \n\t ", String(repeating: "가", count: 2001)])
    func refusesEmptyAndOverlongQuestions(_ question: String) async throws {
        try await GPTServer.run { server in
            let reply = try await server.ask(question)
            #expect(reply.status == 422 && reply.errorCode == "invalid_question")
            #expect(try await server.stub.stats().requests == 0)
        }
    }

    @Test func acceptsTheLongestQuestionAndRefusesBadBodies() async throws {
        try await GPTServer.run { server in
            #expect(try await server.ask(String(repeating: "가", count: 2000)).status == 200)
            let malformed = try await server.call(.POST, "/api/gpt/qna", rawBody: "{\"question\": ")
            #expect(malformed.status == 400)
            let wrongType = try await server.call(.POST, "/api/gpt/qna", rawBody: "{\"question\": 42}")
            #expect(wrongType.status == 422)
            let badToken = try await server.call(.POST, "/api/gpt/qna", body: ["question": "hi there"], token: "not-a-token")
            #expect(badToken.status == 401)
        }
    }

    @Test func noCacheSkipsTheReadButStillStores() async throws {
        try await GPTServer.run { server in
            _ = try await server.ask("define entropy")
            let fresh = try await server.ask("define entropy", noCache: true)
            #expect(fresh.status == 200 && fresh.source == "upstream")
            #expect(try await server.stub.stats().requests == 2)
            #expect(try await server.ask("define entropy").source == "exact")
        }
    }

    @Test func aModelChangeNeverServesTheOldModelsAnswer() async throws {
        try await GPTServer.run { server in
            _ = try await server.ask("explain monads")
            // The same Redis namespace, another model: a fresh answer.
            try await GPTServer.run(["GPT_KEY_PREFIX": server.keyPrefix]) { other in
                let reply = try await other.ask("explain monads")
                #expect(reply.source == "upstream")
            }
        }
    }

    @Test func cachedAnswersRenewTheirLifetime() async throws {
        try await GPTServer.run(["GPT_CACHE_TTL_SECONDS": "100"]) { server in
            _ = try await server.ask("what is a monoid")
            let keys = CacheKeys(question: NormalizedQuestion("what is a monoid"), upstream: "what is a monoid", model: server.model,
                                 namespace: server.keyPrefix)
            try await server.withRedis { redis in
                _ = try await redis.send("EXPIRE", keys.answer, "5")
                #expect(try await redis.send("TTL", keys.answer).int ?? 0 <= 5)
            }
            #expect(try await server.ask("what is a monoid").source == "exact")
            try await server.withRedis { redis in
                let ttl = try await redis.send("TTL", keys.answer).int ?? 0
                #expect(ttl > 90)
            }
        }
    }

    @Test(arguments: [
        (["answer": ""], "empty"),
        (["finish_reason": "length"], "cut off"),
        (["answer": "x"], "too short"),
    ] as [([String: String], String)])
    func uncacheableAnswersAreNotCached(_ config: [String: String], _ why: String) async throws {
        try await GPTServer.run { server in
            try await server.stub.configure(config)
            _ = try await server.ask("tell me a long story about \(why)")
            let again = try await server.ask("tell me a long story about \(why)")
            #expect(again.source == "upstream", "\(why) answer was cached")
            #expect(try await server.stub.stats().requests == 2)
        }
    }

    @Test func vagueQuestionsAreAnsweredButNotCached() async throws {
        try await GPTServer.run { server in
            let first = try await server.ask("?")
            #expect(first.status == 200)
            #expect(try await server.ask("?").source == "upstream")
        }
    }

    @Test func theLexicalLayerAnswersParaphrasesAndTheGuardRefusesNearMisses() async throws {
        try await GPTServer.run(["GPT_CACHE_SEMANTIC": "false"]) { server in
            let original = try await server.ask("What is the capital of France?")
            let paraphrase = try await server.ask("capital of France, please")
            #expect(paraphrase.source == "lexical" && paraphrase.answer == original.answer)
            let korean = try await server.ask("서울 날씨 알려줘")
            let koreanParaphrase = try await server.ask("서울의 날씨는?")
            #expect(koreanParaphrase.source == "lexical" && koreanParaphrase.answer == korean.answer)
            #expect(try await server.ask("부산 날씨 알려줘").source == "upstream")
            #expect(try await server.ask("capital of Germany").source == "upstream")
        }
    }

    @Test func theSemanticLayerAnswersTyposButNotOtherQuestions() async throws {
        try await GPTServer.run(["GPT_SEMANTIC_THRESHOLD": "0.45"]) { server in
            _ = try await server.ask("What is the capital of France?")
            let typo = try await server.ask("what is the capitol of france")
            #expect(typo.source == "semantic", "\(typo.body)")
            // Close in the stub's embedding space, but a different question: the guard refuses.
            #expect(try await server.ask("capital of Germany").source == "upstream")
            _ = try await server.ask("is aspirin safe")
            #expect(try await server.ask("is aspirin not safe").source == "upstream")
            #expect(try await server.stub.stats().embeddings >= 4)
        }
    }

    @Test func aFailingEmbeddingsEndpointOnlySkipsTheSemanticLayer() async throws {
        try await GPTServer.run(["GPT_SEMANTIC_THRESHOLD": "0.6"]) { server in
            try await server.stub.configure(["embeddings_failure_rate": 1.0])
            let first = try await server.ask("What is the capital of Spain?")
            #expect(first.status == 200 && first.source == "upstream")
            #expect(try await server.ask("What is the capital of Spain?").source == "exact")
            #expect(try await server.ask("what is the capitol of spain").source == "upstream")
        }
    }

    @Test func everyAnswerIsInTheLedger() async throws {
        try await GPTServer.run { server in
            let token = try await server.token(user: "ledger-user")
            _ = try await server.ask("what is a functor", token: token)
            _ = try await server.ask("What is a functor?", token: token)
            let ledger = try await eventuallyValue { () -> [[String: String]]? in
                let ledger = try await server.ledger()
                return ledger.count >= 2 ? ledger : nil
            } ?? []
            #expect(ledger.map { $0["source"] } == ["upstream", "exact"])
            #expect(ledger[0]["subject"] == "user:ledger-user" && ledger[0]["tier"] == "verified")
            #expect(ledger[0]["costMicros"] == "30000" && ledger[1]["costMicros"] == "0")
            #expect(Int(ledger[0]["completionTokens"] ?? "") ?? 0 > 0)
            #expect(ledger[0]["question"] == "what is a functor")
        }
    }
}
