import ArgumentParser
import Foundation
import Logging
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
        let client = RedisClient(
            configuration: try RedisConfiguration(url: url, poolSize: 1, commandTimeout: .seconds(10)),
            logger: Logger(label: "redis-bench"))
        let value = String(repeating: "x", count: size)
        try await client.ping()
        for name in ["SET", "GET"] {
            let command = name == "SET"
                ? RedisCommand("SET", ["key:__rand_int__", value]) : RedisCommand("GET", ["key:__rand_int__"])
            let batch = Array(repeating: command, count: pipeline)
            // Warm up, then measure.
            for _ in 0..<1000 / pipeline + 1 { _ = try await client.pipeline(batch) }
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
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(String(format: "%@: %.2f requests per second (pipeline %d, %d requests)", name, Double(done) / seconds, pipeline, done))
        }
        await client.shutdown()
    }
}
