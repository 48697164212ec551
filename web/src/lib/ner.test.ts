import { describe, expect, it } from "vitest";
import { entityOutcome, tokenRuns } from "./ner";

describe("tokenRuns", () => {
  const tokens = ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb"];

  it("cuts a sentence into plain runs and entities, in order", () => {
    const runs = tokenRuns(tokens, [
      { type: "MISC", start: 6, end: 7, matched: false },
      { type: "ORG", start: 0, end: 1, matched: true },
      { type: "MISC", start: 2, end: 3, matched: true },
    ]);
    expect(runs.map((r) => [r.kind, r.tokens.join(" "), r.start])).toEqual([
      ["entity", "EU", 0],
      ["text", "rejects", 1],
      ["entity", "German", 2],
      ["text", "call to boycott", 3],
      ["entity", "British", 6],
      ["text", "lamb", 7],
    ]);
  });

  it("keeps every token once, whatever the entities", () => {
    const runs = tokenRuns(tokens, [
      { type: "A", start: 1, end: 4, matched: true },
      { type: "B", start: 2, end: 5, matched: false },
      { type: "C", start: 7, end: 12, matched: false },
    ]);
    expect(runs.flatMap((r) => r.tokens)).toEqual(tokens);
    expect(tokenRuns([], [])).toEqual([]);
  });
});

describe("entityOutcome", () => {
  it("names a true entity not found 'missed' and a predicted one not true 'false'", () => {
    expect(entityOutcome("truth", false)).toBe("missed");
    expect(entityOutcome("predicted", false)).toBe("false");
    expect(entityOutcome("predicted", true)).toBe("match");
  });
});
