import { describe, expect, it } from "vitest";
import { formatCount, formatPercent, formatScore, formatSigned, formatSignedScore, formatThreshold } from "./format";

describe("format", () => {
  it("formats scores, with '-' for Python's -1 and non-finite", () => {
    expect(formatScore(0.78260869)).toBe("0.783");
    expect(formatScore(1, 4)).toBe("1.0000");
    expect(formatScore(-1)).toBe("-");
    expect(formatScore(NaN)).toBe("-");
    expect(formatScore(null)).toBe("-");
  });
  it("formats percentages", () => {
    expect(formatPercent(0.3)).toBe("30.0%");
    expect(formatPercent(12 / 40)).toBe("30.0%");
    expect(formatPercent(1 / 3, 2)).toBe("33.33%");
    expect(formatPercent(0)).toBe("0.0%");
  });
  it("signs integers like Python's {:+d}", () => {
    expect(formatSigned(10)).toBe("+10");
    expect(formatSigned(0)).toBe("+0");
    expect(formatSigned(-3)).toBe("-3");
  });
  it("signs score deltas like Python's {:+.3f}", () => {
    expect(formatSignedScore(0.0123)).toBe("+0.012");
    expect(formatSignedScore(-0.5)).toBe("-0.500");
    expect(formatSignedScore(-0.0001)).toBe("+0.000");
  });
  it("groups thousands", () => {
    expect(formatCount(12345)).toBe("12,345");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(-1234567)).toBe("-1,234,567");
  });
  it("formats thresholds with at least two decimals", () => {
    expect(formatThreshold(0.5)).toBe("0.50");
    expect(formatThreshold(0.125)).toBe("0.125");
    expect(formatThreshold(0.8999999999999999)).toBe("0.90");
    expect(formatThreshold(1)).toBe("1.00");
  });
});
