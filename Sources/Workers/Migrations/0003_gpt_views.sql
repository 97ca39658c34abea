-- GPTService's usage ledger: one gpt.asked event per answered question (payload: source, model,
-- tier, subject, question, promptTokens, completionTokens, costMicros, latencyMs). Days are UTC,
-- like the other views; the quota's own day is in GPT_QUOTA_TIMEZONE.

-- What the upstream cost each day, and how many calls it took.
CREATE VIEW audit.gpt_daily_cost AS
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day,
       count(*) FILTER (WHERE payload->>'source' = 'upstream') AS upstream_calls,
       sum((payload->>'costMicros')::bigint) / 1e6 AS estimated_cost,
       sum((payload->>'promptTokens')::bigint) AS prompt_tokens,
       sum((payload->>'completionTokens')::bigint) AS completion_tokens
FROM audit.events WHERE action = 'gpt.asked'
GROUP BY 1;

-- Answers per day and source: every row but `upstream` is a call saved, by the layer named.
CREATE VIEW audit.gpt_calls_saved AS
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, payload->>'source' AS source, count(*) AS answers,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY (payload->>'latencyMs')::int) AS median_latency_ms
FROM audit.events WHERE action = 'gpt.asked'
GROUP BY 1, 2;

-- The most asked questions (normalised, first 100 characters), with how often the cache answered.
CREATE VIEW audit.gpt_top_questions AS
SELECT target_id AS question_hash, min(payload->>'question') AS question, count(*) AS asked,
       count(*) FILTER (WHERE payload->>'source' NOT IN ('upstream', 'merged')) AS from_cache,
       count(DISTINCT payload->>'subject') AS askers, max(occurred_at) AS last_asked
FROM audit.events WHERE action = 'gpt.asked'
GROUP BY target_id;

GRANT SELECT ON audit.gpt_daily_cost, audit.gpt_calls_saved, audit.gpt_top_questions TO analyst;
