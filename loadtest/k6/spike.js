// Scenario 4, the spike: REQUESTS requests offered within one second, open loop, half on
// /api/gpt/qna (half of those on 50 popular questions answered once in setup, so a cache can
// answer them, half never asked before) and half on /api/search; half carry a signed-in user's token, half are anonymous. Probes at PROBE_RATE/s
// (a signed-in popular question and a search) run for BASELINE seconds before and RECOVERY seconds after,
// to show how fast latency returns to normal. TARGET=healthz sends the same spike to
// /healthz/gpt and /healthz/content: the machine's and the generator's own limit.
// Run by `loadtest/run spike`.
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { ask, bearer, common, get, searchPath, statusThresholds, summaryTo, tokens } from './lib.js';

// A refusal (429 or 503) without `Retry-After`, by kind: the contract says there is none.
const bareRefusals = new Counter('refused_without_retry_after');

const total = parseInt(__ENV.REQUESTS || '10000');
const target = __ENV.TARGET || 'api';
const probeRate = parseInt(__ENV.PROBE_RATE || '20');
const baseline = parseInt(__ENV.BASELINE || '10');
const recovery = parseInt(__ENV.RECOVERY || '30');
const run = __ENV.RUN_ID || 'spike';
const popular = parseInt(__ENV.POPULAR || '50');

const probeScenario = (startTime, duration) => ({
  executor: 'constant-arrival-rate', exec: 'probe', rate: probeRate, timeUnit: '1s', startTime, duration,
  preAllocatedVUs: 20, maxVUs: 200,
});

const scenarios = {
  spike: {
    executor: 'constant-arrival-rate', exec: 'spike', rate: total, timeUnit: '1s', duration: '1s',
    startTime: target === 'healthz' ? '0s' : `${baseline}s`,
    preAllocatedVUs: Math.min(total, 4000), maxVUs: total,
  },
};
if (target !== 'healthz') {
  scenarios.before = probeScenario('0s', `${baseline}s`);
  scenarios.after = probeScenario(`${baseline + 1}s`, `${recovery}s`);
}

export const options = Object.assign({}, common, {
  scenarios,
  setupTimeout: '120s',
  thresholds: Object.assign(statusThresholds('http_reqs'),
    Object.fromEntries(['qna-cached', 'qna-new', 'search'].map((k) => [`refused_without_retry_after{kind:${k}}`, ['count>=0']]))),
});

export function setup() {
  if (target === 'healthz') return { tokens: [] };
  const signedIn = tokens(parseInt(__ENV.TOKENS || '50'));
  // The POPULAR questions answered once, so the spike's half of them is what a cache can answer
  // (kind `qna-cached`) and the probes' baseline is of cache hits as the recovery is.
  for (let q = 0; q < Math.max(popular, 5); q++) ask(`What is popular topic number ${q}?`, 'setup', bearer(signedIn[q % signedIn.length]), '30s');
  return { tokens: signedIn };
}

export function spike(data) {
  const i = exec.scenario.iterationInTest;
  const headers = (i >> 2) % 2 === 0 && data.tokens.length ? bearer(data.tokens[i % data.tokens.length]) : {};
  if (target === 'healthz') {
    get(i % 2 === 0 ? '/healthz/gpt' : '/healthz/content', 'healthz');
  } else if (i % 2 === 0) {
    const cached = (i >> 1) % 2 === 0;
    const question = cached ? `What is popular topic number ${(i >> 2) % popular}?` : `A unique question ${run} ${i}`;
    counted(ask(question, cached ? 'qna-cached' : 'qna-new', headers), cached ? 'qna-cached' : 'qna-new');
  } else {
    counted(get(searchPath(i >> 1), 'search', headers), 'search');
  }
}

function counted(response, kind) {
  if ((response.status === 429 || response.status === 503) && !response.headers['Retry-After']) bareRefusals.add(1, { kind });
}

// A signed-in user asking one of five popular questions (cache hits once the baseline asked
// them), and a search: what a normal request costs before and after the spike.
export function probe(data) {
  const i = exec.scenario.iterationInTest;
  if (i % 2 === 0) ask(`What is popular topic number ${(i >> 1) % 5}?`, 'probe-qna', bearer(data.tokens[(i >> 1) % data.tokens.length]));
  else get(searchPath(i >> 1), 'probe-search');
}

export function handleSummary(summary) {
  return summaryTo(summary);
}
