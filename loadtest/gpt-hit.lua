-- wrk: the same cached question, over and over (loadtest/gpt-bench.sh primes it first).
wrk.method = "POST"
wrk.body = '{"question":"What is a cache hit?"}'
wrk.headers["Content-Type"] = "application/json"
