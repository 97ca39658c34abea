import Foundation
import Metrics
import Shared

/// The whole service's daily spend cap, in money. Each upstream call reserves its worst-case
/// price before it is made and settles to its real price (from the usage figures) after; once a
/// reservation would pass the cap, no more calls are made that day and only cached answers are
/// served. Amounts are kept in millionths of the currency unit, so Redis adds integers.
struct SpendBudget: Sendable {
    struct Prices: Sendable {
        var perCall: Double
        var perThousandPromptTokens: Double
        var perThousandCompletionTokens: Double
        /// One embeddings call (the semantic layer's), whatever its length: they are short.
        var perEmbedding: Double = 0

        func cost(promptTokens: Int, completionTokens: Int) -> Double {
            perCall + Double(promptTokens) / 1000 * perThousandPromptTokens + Double(completionTokens) / 1000 * perThousandCompletionTokens
        }
    }

    struct Reservation: Sendable {
        var day: String
        var micros: Int64
    }

    let redis: RedisClient
    let namespace: String
    let day: QuotaDay
    /// The default cap per day; nil is no cap. An operator's `GPTService budget --cap` overrides it.
    let dailyCap: Double?
    let prices: Prices

    var capKey: String { "\(namespace):budget:cap" }
    func spentKey(day name: String) -> String { "\(namespace):budget:spent:\(name)" }

    static func micros(_ amount: Double) -> Int64 { Int64((amount * 1_000_000).rounded(.up)) }

    /// Reserves `estimate`; nil when the day's cap would be passed.
    func reserve(_ estimate: Double, now: Date = Date()) async throws -> Reservation? {
        let (name, resetAt) = day.window(at: now)
        let amount = Self.micros(estimate)
        let reply = try await redis.run(Self.reserveScript, keys: [spentKey(day: name), capKey], arguments: [
            String(dailyCap.map(Self.micros) ?? -1), String(amount), String(Int(resetAt.timeIntervalSince1970) + 86_400 * 7),
        ]).array ?? []
        guard reply.count == 2, let ok = reply[0].int else { throw RedisError.protocolError("unexpected budget reply") }
        if ok == 0 {
            Counter(label: "gpt_budget_refusals_total").increment()
            return nil
        }
        return Reservation(day: name, micros: amount)
    }

    /// Replaces the reservation by what the call really cost (0 for a failed call).
    func settle(_ reservation: Reservation, actual: Double) async throws {
        let actualMicros = Self.micros(actual)
        let delta = actualMicros - reservation.micros
        if delta != 0 { _ = try await redis.send("INCRBY", spentKey(day: reservation.day), String(delta)) }
        if actualMicros > 0 { Counter(label: "gpt_spend_micros_total").increment(by: actualMicros) }
    }

    /// Today's spend and the cap in force, in currency units.
    func status(now: Date = Date()) async throws -> (spent: Double, cap: Double?) {
        let (name, _) = day.window(at: now)
        let replies = try await redis.pipeline([RedisCommand("GET", [spentKey(day: name)]), RedisCommand("GET", [capKey])])
        let spent = Double(replies[0].int ?? 0) / 1_000_000
        let override = replies[1].int.map { $0 < 0 ? nil : Double($0) / 1_000_000 }
        return (spent, override ?? dailyCap)
    }

    /// Sets the cap for every instance at once; nil removes the override.
    func setCap(_ cap: Double?, unlimited: Bool = false) async throws {
        if unlimited {
            try await redis.set(capKey, "-1")
        } else if let cap {
            try await redis.set(capKey, String(Self.micros(cap)))
        } else {
            try await redis.delete(capKey)
        }
    }

    /// KEYS: the day's spend, the operator's cap. ARGV: the default cap (-1: none), the amount,
    /// when the spend key expires. Returns {1, spent} when reserved, {0, spent} when over the cap.
    private static let reserveScript = RedisScript("""
        local cap = tonumber(redis.call('GET', KEYS[2]) or ARGV[1])
        local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
        local amount = tonumber(ARGV[2])
        if cap >= 0 and spent + amount > cap then return {0, spent} end
        spent = redis.call('INCRBY', KEYS[1], amount)
        redis.call('EXPIREAT', KEYS[1], ARGV[3])
        return {1, spent}
        """)
}
