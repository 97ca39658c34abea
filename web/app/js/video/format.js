// Sizes, speeds, durations and times left, in the reader's language.
import { getLanguage } from "../core/i18n.js";

const UNITS = ["byte", "kilobyte", "megabyte", "gigabyte"];

function scaled(bytes) {
  let value = Math.max(0, Number(bytes) || 0);
  let unit = 0;
  // Binary multiples, as file managers count them (a 1 GiB limit reads "1 GB").
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return { value, unit: UNITS[unit] };
}

/** 12.3 MB */
export function formatBytes(bytes, lang = getLanguage()) {
  const { value, unit } = scaled(bytes);
  return new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: unit === "byte" ? 0 : 1 }).format(value);
}

/** 2.4 MB/s */
export function formatSpeed(bytesPerSecond, lang = getLanguage()) {
  const { value, unit } = scaled(bytesPerSecond);
  return new Intl.NumberFormat(lang, { style: "unit", unit: `${unit}-per-second`, unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
}

/** 1:05, 1:02:03 */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Seconds left at this speed, or null when it cannot be told. */
export function secondsLeft(offset, total, bytesPerSecond) {
  if (!(bytesPerSecond > 0) || total <= offset) return null;
  return Math.ceil((total - offset) / bytesPerSecond);
}

/** A percentage with no more than one decimal, never 100 before the end. */
export function percent(offset, total) {
  if (!(total > 0)) return 0;
  const value = Math.floor((offset / total) * 1000) / 10;
  return offset < total ? Math.min(value, 99.9) : 100;
}
