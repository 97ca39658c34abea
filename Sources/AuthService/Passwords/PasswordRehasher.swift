import Logging
import Metrics
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Replaces hashes made at a lower cost than the configured one, after a login has proved the
/// password, so that raising `BCRYPT_COST` reaches every account that still logs in.
///
/// It works after the answer has gone, one hash at a time, on a short queue of its own: a burst
/// of logins after a cost change neither delays reset mails nor holds many passwords in memory.
/// A full queue, a user already waiting, a busy hash pool or a shutdown skip the work; the next
/// login tries again.
final class PasswordRehasher: Service, Sendable {
    private struct Request: Sendable {
        var user: User
        var password: String
    }

    private let hasher: PasswordHasher
    private let users: UserStore
    private let logger: Logger
    private let stream: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation
    private let state = NIOLockedValueBox(State())

    private struct State {
        var queued: Set<String> = []
        var stopping = false
    }

    init(hasher: PasswordHasher, users: UserStore, logger: Logger, capacity: Int = 64) {
        self.hasher = hasher
        self.users = users
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: Request.self, bufferingPolicy: .bufferingOldest(capacity))
    }

    /// Queues a re-hash if `user`'s hash is weaker than the configured cost.
    func submit(_ user: User, password: String) {
        guard hasher.isWeakerThanConfigured(user.passwordHash) else { return }
        guard state.withLockedValue({ $0.queued.insert(user.id).inserted }) else { return }
        if case .dropped = continuation.yield(Request(user: user, password: password)) {
            state.withLockedValue { _ = $0.queued.remove(user.id) }
            Self.count("queue_full")
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await request in stream {
                if !state.withLockedValue({ $0.stopping }) { await rehash(request) }
                state.withLockedValue { _ = $0.queued.remove(request.user.id) }
            }
        } onGracefulShutdown: {
            // What is still queued is dropped, not hashed: shutdown should not wait on bcrypt.
            self.state.withLockedValue { $0.stopping = true }
            self.continuation.finish()
        }
    }

    private func rehash(_ request: Request) async {
        let outcome: String
        do {
            let hash = try await hasher.hash(request.password)
            let replaced = try await users.replaceHash(userID: request.user.id, old: request.user.passwordHash, new: hash)
            outcome = replaced ? "replaced" : "password_changed"
        } catch is PasswordHasher.Overloaded {
            outcome = "overloaded"
        } catch {
            logger.warning("re-hashing a password failed", metadata: ["user_id": .string(request.user.id), "error": "\(error.reason)"])
            outcome = "failed"
        }
        Self.count(outcome)
    }

    private static func count(_ outcome: String) {
        Counter(label: "auth_password_rehash_total", dimensions: [("outcome", outcome)]).increment()
    }
}
