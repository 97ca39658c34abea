// Scenario 2: VUS clients, each sending back to back (THINK_MS between requests, 0 by default)
// for DURATION: half first pages of /api/posts in every sort, with and without a tag filter
// (one request in ten a deeper page), half /api/search over common, rare, zero-hit, Korean and
// English keywords. TARGET=healthz sends the same load to /healthz/content, the service's
// trivial endpoint through the same nginx: the machine's own limit. Run by `loadtest/run search`.
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Trend } from 'k6/metrics';
import { common, get, listingPath, searchPath, statusThresholds, summaryTo } from './lib.js';

const target = __ENV.TARGET || 'content';
const think = parseInt(__ENV.THINK_MS || '0') / 1000;

export const options = Object.assign({}, common, {
  scenarios: { clients: { executor: 'constant-vus', vus: parseInt(__ENV.VUS || '1000'), duration: __ENV.DURATION || '30s' } },
  thresholds: Object.assign(statusThresholds('http_reqs'), { 'page_bytes{kind:list}': ['max>=0'], 'page_bytes{kind:search}': ['max>=0'] }),
});

// Bytes of a page as sent (Content-Length), per kind.
const pageBytes = new Trend('page_bytes');

export default function () {
  const i = exec.scenario.iterationInTest;
  if (target === 'healthz') {
    get('/healthz/content', 'healthz', {}, '30s');
  } else {
    const kind = i % 2 === 0 ? 'list' : 'search';
    const r = get(kind === 'list' ? listingPath(i >> 1) : searchPath(i >> 1), kind, {}, '30s');
    if (r.status === 200) pageBytes.add(parseInt(r.headers['Content-Length'] || '0'), { kind });
  }
  if (think > 0) sleep(think);
}

export function handleSummary(summary) {
  return summaryTo(summary);
}
