// The daily question quota as the GPT service reports it: GET /api/gpt/quota
// ({limit, used, remaining, resetAt, timeZone}) and the X-RateLimit-* headers of every answer.
// The quota day is the calendar day in GPT_QUOTA_TIMEZONE, which the quota route names
// (`timeZone`). The reset is shown in that zone when the instant is midnight there, and otherwise
// in the fixed offset the instant itself reveals (an answer that came before the quota route's).

export const QUOTA_TIME_ZONE = "Asia/Seoul";

/** {limit, remaining, resetAt: Date|null} from an answer's headers; null when it has none. */
export function quotaFromHeaders(headers) {
  const number = (name) => {
    const value = headers.get(name);
    return value !== null && /^\d+$/.test(value.trim()) ? Number(value.trim()) : null;
  };
  const reset = number("X-RateLimit-Reset");
  const limit = number("X-RateLimit-Limit");
  const remaining = number("X-RateLimit-Remaining");
  if (reset === null && limit === null && remaining === null) return null;
  return { limit, remaining, resetAt: reset === null ? null : new Date(reset * 1000) };
}

/** The same shape from the quota route's body. */
export function quotaFromBody(body) {
  const resetAt = body?.resetAt ? new Date(body.resetAt) : null;
  return {
    limit: body?.limit ?? null,
    remaining: body?.remaining ?? null,
    used: body?.used ?? null,
    resetAt: resetAt && !Number.isNaN(resetAt.getTime()) ? resetAt : null,
    timeZone: typeof body?.timeZone === "string" && body.timeZone ? body.timeZone : null,
  };
}

/** Merges what an answer's headers said into the last known quota. */
export function mergeQuota(previous, update) {
  if (!update) return previous;
  const merged = { ...(previous ?? {}), ...Object.fromEntries(Object.entries(update).filter(([, value]) => value !== null)) };
  if (update.limit === null && update.remaining === null && update.resetAt) {
    // The headers leave the counts out for an unlimited tier.
    merged.limit = null;
    merged.remaining = null;
  }
  if (merged.limit !== null && merged.remaining !== null && merged.limit !== undefined) merged.used = Math.max(0, merged.limit - merged.remaining);
  return merged;
}

function partsIn(date, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit" }).formatToParts(date);
  const get = (type) => Number(parts.find((part) => part.type === type)?.value ?? NaN);
  return { hour: get("hour") % 24, minute: get("minute") };
}

/**
 * The time zone to show the reset in: `preferred` when the reset falls at midnight there, else an
 * IANA fixed-offset zone ("Etc/GMT-9" is UTC+9) read off the instant, else null (show it in the
 * reader's own zone).
 */
export function resetTimeZone(resetAt, preferred = QUOTA_TIME_ZONE) {
  if (!(resetAt instanceof Date) || Number.isNaN(resetAt.getTime())) return null;
  try {
    const { hour, minute } = partsIn(resetAt, preferred);
    if (hour === 0 && minute === 0) return preferred;
  } catch {
    // an unknown zone name: fall through
  }
  const minutesOfDay = resetAt.getUTCHours() * 60 + resetAt.getUTCMinutes();
  // Midnight local = minutesOfDay UTC, so the zone is ahead of UTC by (1440 - minutesOfDay) mod 1440.
  let offset = (1440 - minutesOfDay) % 1440;
  if (offset > 14 * 60) offset -= 1440;
  if (offset % 60 !== 0) return null;
  const hours = offset / 60;
  return hours === 0 ? "UTC" : `Etc/GMT${hours > 0 ? "-" : "+"}${Math.abs(hours)}`;
}

/** "12월 9일 (수) 00:00 GMT+9" in `lang`, in the quota's zone. */
export function formatReset(resetAt, lang, preferred = QUOTA_TIME_ZONE) {
  const timeZone = resetTimeZone(resetAt, preferred) ?? undefined;
  return new Intl.DateTimeFormat(lang, {
    month: "short", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone, timeZoneName: "short",
  }).format(resetAt);
}

/** "in 5 hours" in `lang`. */
export function formatUntil(resetAt, lang, now = Date.now()) {
  const seconds = Math.round((resetAt.getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  if (Math.abs(seconds) < 60) return rtf.format(seconds, "second");
  if (Math.abs(seconds) < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  return rtf.format(Math.round(seconds / 3600), "hour");
}
