// Sizes, speeds, durations and percentages on the upload screen (web/app/js/video/format.js).
// Run by deploy/test: node --test Tests/Web
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatBytes, formatDuration, formatSpeed, percent, secondsLeft } from "../../web/app/js/video/format.js";

test("sizes in binary multiples, so a 1 GiB limit reads 1 GB", () => {
  assert.equal(formatBytes(1073741824, "en"), "1 GB");
  assert.equal(formatBytes(15692620, "en"), "15 MB");
  assert.equal(formatBytes(512, "en"), "512 byte");
  assert.match(formatBytes(45677, "ko"), /^44\.6\s?kB$/);
});

test("speed per second and durations", () => {
  assert.match(formatSpeed(2 * 1024 * 1024, "en"), /^2 MB\/s$/);
  assert.equal(formatDuration(3), "0:03");
  assert.equal(formatDuration(65.4), "1:05");
  assert.equal(formatDuration(3723), "1:02:03");
  assert.equal(formatDuration(null), "0:00");
});

test("percent never shows 100 before the last byte; time left needs a speed", () => {
  assert.equal(percent(0, 100), 0);
  assert.equal(percent(999, 1000), 99.9);
  assert.equal(percent(9999, 10000), 99.9);
  assert.equal(percent(1000, 1000), 100);
  assert.equal(percent(1, 0), 0);
  assert.equal(secondsLeft(500, 1000, 100), 5);
  assert.equal(secondsLeft(500, 1000, 0), null);
  assert.equal(secondsLeft(1000, 1000, 10), null);
});
