// Scenario 3, the soak: RATE requests/s, open loop, for DURATION, across /api/posts (40%),
// /api/users/me with a token (25%), /api/videos (25%) and /api/gpt/qna (10%: mostly popular
// questions, answered from the cache, one in five new). TOKENS seeded users log in at the
// start; a VU logs its user in again when the token expires (401). Run by `loadtest/run soak`.
import exec from 'k6/execution';
import { ask, bearer, common, get, listingPath, login, searchPath, statusThresholds, summaryTo, tokens } from './lib.js';

const rate = parseInt(__ENV.RATE || '100');
const run = __ENV.RUN_ID || 'soak';

export const options = Object.assign({}, common, {
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate', rate, timeUnit: '1s', duration: __ENV.DURATION || '10m',
      preAllocatedVUs: Math.max(10, rate), maxVUs: Math.max(50, rate * 10),
    },
  },
  setupTimeout: '120s',
  thresholds: statusThresholds('http_reqs'),
});

export function setup() {
  return { tokens: tokens(parseInt(__ENV.TOKENS || '20')) };
}

// This VU's fresh tokens, by user index: replaced when the service says one expired.
const renewed = {};

function tokenOf(data, user) {
  return renewed[user] || data.tokens[user];
}

function signedIn(data, user, send) {
  let r = send(bearer(tokenOf(data, user)));
  if (r.status === 401) {
    const { token } = login(user, 'relogin');
    if (token) {
      renewed[user] = token;
      r = send(bearer(token));
    }
  }
  return r;
}

export default function (data) {
  const i = exec.scenario.iterationInTest;
  const user = i % data.tokens.length;
  const slot = i % 20;
  if (slot < 6) get(listingPath(i), 'list');
  else if (slot < 8) get(searchPath(i), 'search');
  else if (slot < 13) signedIn(data, user, (h) => get('/api/users/me', 'me', h));
  else if (slot < 18) get(`/api/videos?size=${5 * (1 + (i % 5))}`, 'videos');
  else if (slot === 18) signedIn(data, user, (h) => ask(`What is soak topic number ${i % 40}?`, 'qna', h));
  else signedIn(data, user, (h) => ask(i % 100 === 19 ? `Soak ${run} question ${i}` : `What is soak topic number ${i % 40}?`, 'qna', h));
}

export function handleSummary(summary) {
  return summaryTo(summary);
}
