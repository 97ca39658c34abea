-- wrk: the figures content-bench.sh tabulates, on one line: requests/s, p50/p95/p99 in ms, errors.
-- Included by the other content-*.lua scripts; alone it just requests the URL it is given.
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50=%.1f p95=%.1f p99=%.1f max=%.1f requests=%d errors=%d non2xx=%d timeouts=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, errors, summary.errors.status, summary.errors.timeout))
end
