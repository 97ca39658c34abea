// The seed's fourth scenario on /api/gpt/qna: SPIKE_REQUESTS (10,000) requests offered within one
// second, open loop. Half ask one of 50 popular questions, half a question nobody asked before;
// half carry a signed-in user's token, half are anonymous. Run by loadtest/gpt-bench.sh, which
// passes SPIKE_DATA (a JSON file: {"tokens": [...], "run": "..."}) and reads SPIKE_OUT.
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';

const data = JSON.parse(open(__ENV.SPIKE_DATA));
const base = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const total = parseInt(__ENV.SPIKE_REQUESTS || '10000');
// SPIKE_TARGET=healthz sends the same spike to /healthz/gpt: the machine's and the generator's
// own limit, measured in the same run.
const target = __ENV.SPIKE_TARGET || 'qna';

// k6 reports a tag's count only for a sub-metric a threshold names; these thresholds always pass.
const statusList = ['0', '200', '429', '500', '502', '503', '504'];
const sourceList = ['exact', 'lexical', 'semantic', 'merged', 'upstream'];
const codeList = ['quota_exceeded', 'rate_limited', 'budget_exhausted', 'upstream_unavailable', 'overloaded', 'unavailable'];
const thresholds = {};
for (const s of statusList) thresholds[`gpt_status{status:${s}}`] = ['count>=0'];
for (const s of sourceList) thresholds[`gpt_source{source:${s}}`] = ['count>=0'];
for (const c of codeList) thresholds[`gpt_error_code{code:${c}}`] = ['count>=0'];
for (const s of statusList) thresholds[`gpt_latency{status:${s}}`] = ['max>=0'];
for (const s of sourceList) thresholds[`gpt_latency{source:${s}}`] = ['max>=0'];

export const options = {
  discardResponseBodies: false,
  scenarios: {
    spike: {
      executor: 'constant-arrival-rate', rate: total, timeUnit: '1s', duration: '1s',
      preAllocatedVUs: Math.min(total, 4000), maxVUs: total,
    },
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
  thresholds,
};

const statuses = new Counter('gpt_status');
const sources = new Counter('gpt_source');
const codes = new Counter('gpt_error_code');
const latency = new Trend('gpt_latency', true);

export default function () {
  const i = exec.scenario.iterationInTest;
  const popular = i % 2 === 0;
  const question = popular ? `What is popular topic number ${(i / 2) % 50}?` : `A unique question ${data.run} ${i}`;
  const headers = { 'Content-Type': 'application/json' };
  if ((i >> 1) % 2 === 0) headers.Authorization = `Bearer ${data.tokens[i % data.tokens.length]}`;
  const response = target === 'healthz'
    ? http.get(`${base}/healthz/gpt`, { timeout: '10s' })
    : http.post(`${base}/api/gpt/qna`, JSON.stringify({ question }), { headers, timeout: '10s' });
  statuses.add(1, { status: String(response.status) });
  let body = null;
  try { body = response.json(); } catch (_) { body = null; }
  const source = response.status === 200 && body && body.source ? body.source : 'none';
  latency.add(response.timings.duration, { status: String(response.status), source });
  if (response.status === 200 && body && body.source) sources.add(1, { source: body.source });
  else if (body && body.error) codes.add(1, { code: body.error.code });
}

export function handleSummary(summary) {
  return { [__ENV.SPIKE_OUT]: JSON.stringify(summary) };
}
