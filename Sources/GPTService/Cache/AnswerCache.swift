import Foundation
import Shared

/// The exact and lexical layers in Redis, and the vectors behind the semantic layer.
///
/// Every hit renews the answer's lifetime (`GETEX ... EX`), so an answer in use never expires while
/// one nobody asks for leaves after `ttl`; Redis' LFU eviction decides what goes first under its
/// memory limit.
struct AnswerCache: Sendable {
    let redis: RedisClient
    let namespace: String
    let ttl: Duration
    let maxVectors: Int

    private var ttlSeconds: String { String(max(1, Int(ttl.seconds))) }

    /// The exact layer's answer and, in the same round trip, the lexical layer's pointer and the
    /// reply to `alongside`, a read the caller needs whatever the cache holds.
    func lookup(_ keys: CacheKeys, alongside: RedisCommand? = nil) async throws
        -> (exact: CachedAnswer?, lexicalDigest: String?, alongside: RedisValue?) {
        var commands = [RedisCommand("GETEX", [keys.answer, "EX", ttlSeconds])]
        if let lexical = keys.lexical { commands.append(RedisCommand("GETEX", [lexical, "EX", ttlSeconds])) }
        if let alongside { commands.append(alongside) }
        let replies = try await redis.pipeline(commands).map { try $0.throwingError() }
        let exact = replies[0].bytes.flatMap(Self.decode)
        let pointer = keys.lexical != nil ? replies[1].string : nil
        return (exact, pointer == keys.digest ? nil : pointer, alongside != nil ? replies.last : nil)
    }

    /// The answer stored under `digest`, its lifetime renewed.
    func answer(digest: String, model: String) async throws -> CachedAnswer? {
        try await redis.send(RedisCommand("GETEX", [CacheKeys.answer(digest: digest, model: model, namespace: namespace), "EX", ttlSeconds]))
            .bytes.flatMap(Self.decode)
    }

    /// Stores an answer only where none is: an answer others are served is never replaced, not by
    /// a caller who skipped the cache (`Cache-Control: no-cache`) nor by a race.
    func store(_ answer: CachedAnswer, keys: CacheKeys, embedding: [Float]?) async throws {
        let data = try JSONEncoder().encode(answer)
        var commands = [RedisCommand(parts: [Array("SET".utf8), Array(keys.answer.utf8), Array(data), Array("EX".utf8), Array(ttlSeconds.utf8),
                                             Array("NX".utf8)])]
        if let lexical = keys.lexical { commands.append(RedisCommand("SET", [lexical, keys.digest, "EX", ttlSeconds, "NX"])) }
        _ = try await redis.pipeline(commands).map { try $0.throwingError() }
        if let embedding {
            try await addVector(embedding, digest: keys.digest, model: keys.model)
        }
    }

    // MARK: Vectors for the semantic layer

    func addVector(_ vector: [Float], digest: String, model: String) async throws {
        _ = try await redis.run(Self.addVectorScript, keys: [CacheKeys.vectors(model: model, namespace: namespace), CacheKeys.vectorsAdded(model: model, namespace: namespace)],
                                arguments: [digest, VectorCoding.encode(vector), String(Date().millisecondsSince1970), String(maxVectors)])
    }

    /// Vectors added after `since` (milliseconds), oldest first, at most `limit`.
    func vectors(model: String, addedAfter since: Int64, limit: Int) async throws -> [(digest: String, vector: [Float], addedAt: Int64)] {
        let listed = try await redis.send(RedisCommand("ZRANGE", [
            CacheKeys.vectorsAdded(model: model, namespace: namespace), "(\(since)", "+inf", "BYSCORE", "LIMIT", "0", String(limit), "WITHSCORES",
        ])).array ?? []
        var pairs: [(String, Int64)] = []
        var index = 0
        while index + 1 < listed.count {
            if let digest = listed[index].string, let score = listed[index + 1].string.flatMap(Double.init) {
                pairs.append((digest, Int64(score)))
            }
            index += 2
        }
        guard !pairs.isEmpty else { return [] }
        let values = try await redis.send(RedisCommand("HMGET", [CacheKeys.vectors(model: model, namespace: namespace)] + pairs.map(\.0))).array ?? []
        return zip(pairs, values).compactMap { pair, value in
            guard let text = value.string, let vector = VectorCoding.decode(text) else { return nil }
            return (pair.0, vector, pair.1)
        }
    }

    func removeVector(digest: String, model: String) async throws {
        _ = try await redis.pipeline([
            RedisCommand("HDEL", [CacheKeys.vectors(model: model, namespace: namespace), digest]),
            RedisCommand("ZREM", [CacheKeys.vectorsAdded(model: model, namespace: namespace), digest]),
        ])
    }

    static func decode(_ bytes: [UInt8]) -> CachedAnswer? {
        try? JSONDecoder().decode(CachedAnswer.self, from: Data(bytes))
    }

    /// KEYS: the vectors hash and the added-at set. ARGV: digest, vector, now (ms), the most kept.
    /// The oldest vectors beyond the bound go, in the same step.
    private static let addVectorScript = RedisScript("""
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
        if excess > 0 then
          local old = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
          redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
          redis.call('HDEL', KEYS[1], unpack(old))
        end
        return 1
        """)
}

/// Vectors as base64 of little-endian Float32s: compact, and the same on every instance.
enum VectorCoding {
    static func encode(_ vector: [Float]) -> String {
        var data = Data(capacity: vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data.base64EncodedString()
    }

    static func decode(_ text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0, !data.isEmpty else { return nil }
        return stride(from: 0, to: data.count, by: 4).map { offset in
            let bits = data[data.startIndex + offset..<data.startIndex + offset + 4].enumerated()
                .reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            return Float(bitPattern: bits)
        }
    }
}
