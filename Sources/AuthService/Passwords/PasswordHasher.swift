#if canImport(Glibc)
import Glibc
#endif
import HummingbirdBcrypt
import Metrics
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle
import Shared

/// bcrypt on a pool of its own threads, sized to the cores, with admission control.
///
/// Hashing is what bounds login throughput, so queueing more work than the pool can finish within
/// `maxWait` only turns every login slow. A caller whose estimated wait (the work ahead of it,
/// divided among the threads, at the recent hash time) exceeds `maxWait` is refused at once with
/// `Overloaded`, and work that still waited longer (the estimate was low) is dropped unhashed.
/// The threads run at a lower CPU priority, so event loops answering other requests (refresh,
/// `/api/users/me`) are not starved while every core is hashing.
final class PasswordHasher: Service, Sendable {
    struct Settings: Sendable {
        var cost: Int
        var threads: Int
        var maxWait: Duration
        /// The longest `Retry-After` a refused caller is told (see `RetryPacing`).
        var maxRetryAfter: Duration = .seconds(60)
        /// Run the hash threads at nice 10 (the service always does; a test measuring admission on
        /// a busy machine may not want its threads starved).
        var lowersPriority = true
    }

    /// The hash queue is too long to start this work within `maxWait`: answered 503 with
    /// `Retry-After` (and counted in `auth_password_hash_shed_total`).
    struct Overloaded: Error {
        var retryAfter: Duration
    }

    private struct Load {
        /// Calls admitted and not finished (queued or hashing).
        var outstanding = 0
        /// Recent time of one bcrypt operation, smoothed.
        var averageHash: Duration
        /// Recent CPU time of one bcrypt operation, smoothed: what a hash costs when its thread has
        /// a core, however busy the machine was while it ran.
        var averageCPU: Duration = .zero
        /// Recent time of one bcrypt operation divided by 2^cost (a cost step doubles the work),
        /// to tell how long a hash at another cost takes.
        var averageUnit: Duration = .zero
    }

    /// What a login answer costs, whatever the account: the highest of the configured cost and
    /// every stored hash's. An unknown email is checked against a dummy at this cost, and a hash
    /// stored at a lower cost (from before `BCRYPT_COST` was raised) is padded to its time, so
    /// existing and unknown accounts answer alike until the rehash at login catches up.
    private struct Answer {
        var cost: Int
        var dummyHash: String
    }

    let settings: Settings
    private let pool: NIOThreadPool
    private let load: NIOLockedValueBox<Load>
    private let answer: NIOLockedValueBox<Answer>
    private let pacing: NIOLockedValueBox<RetryPacing>
    private let outstandingGauge = Gauge(label: "auth_password_hash_outstanding")
    private let shedCounter = Counter(label: "auth_password_hash_shed_total")

    init(settings: Settings) {
        self.settings = settings
        self.pool = NIOThreadPool(numberOfThreads: settings.threads)
        self.pool.start()
        self.answer = NIOLockedValueBox(Answer(cost: settings.cost, dummyHash: Self.dummyHash(cost: settings.cost)))
        // No estimate until the first hash is timed: admit until then.
        self.load = NIOLockedValueBox(Load(averageHash: .zero))
        self.pacing = NIOLockedValueBox(RetryPacing(minimum: max(.seconds(1), settings.maxWait), maximum: settings.maxRetryAfter))
    }

    /// A well-formed hash at `cost` with a random salt and digest. Checking a password against it
    /// costs a full bcrypt run, like a real hash, and never matches; making it costs nothing, so
    /// start-up does not block on bcrypt.
    static func dummyHash(cost: Int) -> String {
        let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let salt = String((0..<22).map { _ in alphabet.randomElement()! })
        let digest = String((0..<31).map { _ in alphabet.randomElement()! })
        return "$2b$\(cost < 10 ? "0" : "")\(cost)$\(salt)\(digest)"
    }

    /// Times one hash at the configured cost (so the first padded answer has a measure), keeps the
    /// pool until graceful shutdown (after the HTTP server has drained), then stops it.
    func run() async throws {
        _ = try? await verify("calibration", against: nil)
        try? await gracefulShutdown()
        try await shutdown()
    }

    func shutdown() async throws {
        try await pool.shutdownGracefully()
    }

    func hash(_ password: String) async throws -> String {
        let cost = settings.cost
        let (hash, elapsed) = try await execute(operation: "hash") {
            let start = ContinuousClock.now
            let hash = Bcrypt.hash(password, cost: UInt8(cost))
            return (hash, ContinuousClock.now - start)
        }
        noteTime(elapsed, cost: cost)
        return hash
    }

    /// Checks `password` against `hash`, or against a dummy hash when there is no account, so both
    /// answers cost the same: the time of a hash at the answer cost (see `Answer`).
    func verify(_ password: String, against hash: String?) async throws -> Bool {
        let stored = hash.flatMap(Self.cost(of:))
        if let stored { noteStoredCost(stored) }
        let (answerCost, dummyHash) = answer.withLockedValue { ($0.cost, $0.dummyHash) }
        let (matches, elapsed) = try await execute(operation: "verify") {
            let start = ContinuousClock.now
            let matches = Bcrypt.verify(password, hash: hash ?? dummyHash)
            return (matches, ContinuousClock.now - start)
        }
        noteTime(elapsed, cost: stored ?? answerCost)
        if let stored {
            // A weaker stored hash: wait out the rest of a full-cost hash (off the pool).
            let wait = padding(after: elapsed, storedCost: stored)
            if wait > .zero { try? await Task.sleep(for: wait) }
        }
        return matches && hash != nil
    }

    /// How long a check against a hash of `storedCost` waits after taking `elapsed`, so that it
    /// answers no sooner than a hash at the answer cost would: the rest of a full-cost hash at
    /// the measured speed, or nothing for a hash at the answer cost or above.
    func padding(after elapsed: Duration, storedCost: Int) -> Duration {
        let cost = answerCost
        guard storedCost < cost else { return .zero }
        let full = load.withLockedValue { $0.averageUnit } * Double(1 << cost)
        return full > elapsed ? full - elapsed : .zero
    }

    /// The hash an unknown email is checked against.
    var dummyHash: String { answer.withLockedValue { $0.dummyHash } }

    func noteTime(_ elapsed: Duration, cost: Int) {
        guard (4...31).contains(cost) else { return }
        let unit = elapsed / Double(1 << cost)
        load.withLockedValue { load in
            load.averageUnit = load.averageUnit == .zero ? unit : load.averageUnit * 0.8 + unit * 0.2
        }
    }

    /// Raises the answer cost to a stored hash's cost (read at start-up, and seen in logins).
    func noteStoredCost(_ cost: Int) {
        guard (4...31).contains(cost) else { return }
        answer.withLockedValue { answer in
            guard cost > answer.cost else { return }
            answer = Answer(cost: cost, dummyHash: Self.dummyHash(cost: cost))
        }
    }

    var answerCost: Int { answer.withLockedValue { $0.cost } }

    /// The cost of a bcrypt hash, "$2b$10$...": the third field.
    static func cost(of hash: String) -> Int? {
        let fields = hash.split(separator: "$", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count == 4 else { return nil }
        return Int(fields[2])
    }

    /// Whether `hash` was made at a lower cost than the configured one (the setting was raised
    /// since). Never the other way: a cost lowered by mistake must not weaken stored hashes.
    func isWeakerThanConfigured(_ hash: String) -> Bool {
        guard let cost = Self.cost(of: hash) else { return false }
        return cost < settings.cost
    }

    /// Runs `work` on the pool if it can start within `maxWait`; otherwise throws `Overloaded`.
    func execute<T: Sendable>(operation: String, _ work: @escaping @Sendable () -> T) async throws -> T {
        let maxWait = settings.maxWait, lowersPriority = settings.lowersPriority
        let admitted = load.withLockedValue { load in
            guard estimatedWait(load) <= maxWait else { return false }
            load.outstanding += 1
            return true
        }
        guard admitted else { throw shed() }
        outstandingGauge.record(load.withLockedValue { $0.outstanding })
        defer {
            let outstanding = load.withLockedValue { load in
                load.outstanding -= 1
                return load.outstanding
            }
            outstandingGauge.record(outstanding)
        }
        let enqueued = ContinuousClock.now
        let result: T? = try await pool.runIfActive { [load] in
            guard ContinuousClock.now - enqueued <= maxWait else { return nil }
            if lowersPriority { Self.lowerThreadPriority() }
            let start = ContinuousClock.now, startCPU = Self.threadCPUTime()
            let value = work()
            let elapsed = ContinuousClock.now - start, cpu = Self.threadCPUTime() - startCPU
            load.withLockedValue { load in
                load.averageHash = load.averageHash == .zero ? elapsed : load.averageHash * 0.8 + elapsed * 0.2
                load.averageCPU = load.averageCPU == .zero ? cpu : load.averageCPU * 0.8 + cpu * 0.2
            }
            Timer(label: "auth_password_hash_duration_seconds", dimensions: [("operation", operation)])
                .recordNanoseconds(elapsed.nanoseconds)
            return value
        }
        guard let result else { throw shed() }
        return result
    }

    /// Refuses at once when new work would not start within `maxWait`, so a caller can shed a
    /// request before spending anything else on it (Redis, Postgres).
    func checkAdmission() throws {
        let wait = load.withLockedValue { estimatedWait($0) }
        if wait > settings.maxWait { throw shed() }
    }

    /// The work ahead of a new arrival, shared among the threads, at the recent hash time.
    private func estimatedWait(_ load: Load) -> Duration {
        let ahead = load.outstanding - settings.threads + 1
        return ahead > 0 ? load.averageHash * (Double(ahead) / Double(settings.threads)) : .zero
    }

    private func shed() -> Overloaded {
        shedCounter.increment()
        // The rate the pool reaches with its cores, not the rate it had while a crowd of
        // connections took them: booking returns too slowly leaves the pool idle, too fast costs
        // only a few more cheap refusals.
        let averageCPU = load.withLockedValue { $0.averageCPU }
        let hashesPerSecond = averageCPU > .zero ? Double(settings.threads) / averageCPU.seconds : 0
        let wait = pacing.withLockedValue { $0.nextWait(hashesPerSecond: hashesPerSecond, now: .now) }
        return Overloaded(retryAfter: wait)
    }

    /// The CPU time the calling thread has used.
    private static func threadCPUTime() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }

    /// Nice 10 for the calling thread: on Linux nice is per thread, and `who = 0` means the calling
    /// thread. It only ever lowers, so calling it on every hash is harmless: one syscall next to
    /// tens of milliseconds of bcrypt.
    private static func lowerThreadPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }
}

extension PasswordHasher.Overloaded: APIErrorConvertible {
    var apiError: APIError {
        // To the nearest second, not up: a booked return time moves by half a second at most
        // either way, instead of half a second later on average, which would leave the pool idle
        // while the first refused crowd comes back.
        APIError.overloaded(retryAfter: Int(retryAfter.seconds.rounded()))
    }
}
