import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import Shared

/// Measures the Redis client's GET/SET rate on one connection, plain and pipelined, for
/// comparison with `redis-benchmark -c 1` on the same server (see loadtest/redis-bench.sh).
@main
struct RedisBench: AsyncParsableCommand {
    @Option(help: "Redis URL.")
    var url = "redis://127.0.0.1:6380"

    @Option(help: "Commands per test.")
    var requests = 100_000

    @Option(help: "Commands per pipeline batch (1 = wait for each reply).")
    var pipeline = 1

    @Option(help: "Value size in bytes.")
    var size = 3

    func validate() throws {
        guard requests > 0, pipeline > 0, size >= 0 else { throw ValidationError("requests and pipeline must be positive") }
    }

    func run() async throws {
        // Tasks run on the NIO event loops (as a service can choose to), so a reply resumes its
        // caller without a hop to Swift's default thread pool.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let client = RedisClient(
            configuration: try RedisConfiguration(url: url, poolSize: 1, commandTimeout: .seconds(10)),
            logger: Logger(label: "redis-bench"))
        let value = String(repeating: "x", count: size)
        for name in ["SET", "GET"] {
            let command = name == "SET"
                ? RedisCommand("SET", ["key:__rand_int__", value]) : RedisCommand("GET", ["key:__rand_int__"])
            let seconds = try await measure(client, command)
            print(String(format: "%@: %.2f requests per second (pipeline %d, %d requests)", name, Double(requests) / seconds, pipeline, requests))
        }
        await client.shutdown()
    }

    /// Seconds taken by `requests` commands, after a warm-up.
    func measure(_ client: RedisClient, _ command: RedisCommand) async throws -> Double {
        let batch = Array(repeating: command, count: pipeline)
        for _ in 0..<(1000 / pipeline + 1) { _ = try await client.pipeline(batch) }
        let start = ContinuousClock.now
        var done = 0
        while done < requests {
            if pipeline == 1 {
                try await client.send(command)
            } else {
                _ = try await client.pipeline(batch)
            }
            done += pipeline
        }
        return (ContinuousClock.now - start).seconds
    }
}
