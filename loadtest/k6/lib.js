// What the load scenarios share. Every request is tagged with its `kind` (the report groups by
// it); URLs stay out of the tags, so the CSV output k6 writes holds one short row per sample.
import http from 'k6/http';

export const base = __ENV.BASE_URL || 'http://127.0.0.1:8080';
export const password = 'loadtest password';
export const email = (i) => `lt${i}@loadtest.example`;
export const users = parseInt(__ENV.USERS || '100');

// The statuses the report always names; k6 counts a tag only for a sub-metric a threshold names,
// so these thresholds exist to make the summary list them and always pass.
export const statusList = ['0', '200', '401', '429', '500', '502', '503', '504'];
export function statusThresholds(metric) {
  const out = {};
  for (const s of statusList) out[`${metric}{status:${s}}`] = ['count>=0'];
  return out;
}

export const common = {
  systemTags: ['status', 'method', 'scenario', 'expected_response', 'error_code'],
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
  // A refused or failed answer is an outcome the report counts, not a script error.
  discardResponseBodies: true,
};

const json = { 'Content-Type': 'application/json' };

// POST /api/auth/login; the access token or null.
export function login(i, kind = 'login') {
  const r = http.post(`${base}/api/auth/login`, JSON.stringify({ email: email(i), password }),
    { headers: json, tags: { kind }, responseType: 'text', timeout: '30s' });
  if (r.status !== 200) return { response: r, token: null };
  return { response: r, token: r.json('accessToken') };
}

// Tokens for the first n seeded users, for the scenarios' signed-in requests (from setup()).
export function tokens(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const { response, token } = login(i, 'setup');
    if (!token) throw new Error(`login of ${email(i)} answered ${response.status}; seed the users first (loadtest/seed.sh)`);
    out.push(token);
  }
  return out;
}

export function bearer(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export function get(path, kind, headers = {}, timeout = '10s') {
  return http.get(`${base}${path}`, { headers, tags: { kind }, timeout });
}

export function ask(question, kind, headers = {}, timeout = '10s') {
  return http.post(`${base}/api/gpt/qna`, JSON.stringify({ question }),
    { headers: Object.assign({}, json, headers), tags: { kind }, timeout });
}

// Keywords for /api/search: common, rare and zero-hit, Korean, English and mixed (the corpus of
// `ContentService seed`).
export const keywords = ['검색', '번역', '서버', '데이터', '음악', '여행', '고양이', '커피', '진', '역', 'search', 'swift',
  'redis 캐시', 'cache latency', '서버 데이터', '양자컴퓨터', 'zeppelin', '천체망원경', '블록체인', '없는단어', 'kafka', '우주선'];
export const sorts = ['latest', 'oldest', 'likes'];
export const tags = ['일상', '개발', 'swift', '여행', 'k-pop'];

export function listingPath(i) {
  let path = `/api/posts?page=${i % 10 === 9 ? 1 + (i % 50) : 1}&size=20&sort=${sorts[i % sorts.length]}`;
  if (i % 3 === 1) path += `&tag=${encodeURIComponent(tags[(i >> 2) % tags.length])}`;
  return path;
}

export function searchPath(i) {
  let path = `/api/search?keyword=${encodeURIComponent(keywords[i % keywords.length])}`;
  if (i % 7 === 3) path += '&sort=relevance';
  return path;
}

export function summaryTo(summary) {
  return { [__ENV.SUMMARY_OUT || 'summary.json']: JSON.stringify(summary, null, 1) };
}
