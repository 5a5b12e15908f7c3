'use strict';

/** Median of a list of numbers. */
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median absolute deviation, as a rough noise figure next to each median. */
function mad(values) {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** Rotates the order of `items` by `round`, so that no variant always runs first or last. */
function rotate(items, round) {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

module.exports = { median, mad, rotate };
