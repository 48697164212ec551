/** The new controls' pure parts: per-model thresholds, verdict colors and a query's completions. Pure. */
import type { OtherPoint } from "../api/client";
import type { CompletionsOut } from "../api/types";
import { formatSigned, formatSignedScore } from "./format";

/** The second inference set's own thresholds for the API (none when linked or with one set). */
export function otherPointOf(sets: readonly string[], other: { conf: number; iou: number } | null | undefined, detection: boolean): OtherPoint {
  if (sets.length < 2 || !other) return {};
  return { otherConf: other.conf, otherIou: detection ? other.iou : undefined };
}

/** A per-class verdict of the server (F1 change, other against base). */
export type Verdict = "better" | "worse" | "same";

/** The words of a verdict, for legends and screen readers. */
export const VERDICT_TITLES: Record<Verdict, string> = {
  better: "better (F1 up)",
  worse: "worse (F1 down)",
  same: "unchanged F1",
};

/** The changed examples' verdicts (/compare/examples): a class's fixed - broken, i.e. the
 * change of its true positives, not its F1 change. */
export const CHANGE_VERDICT_TITLES: Record<Verdict, string> = {
  better: "better (more fixed than broken)",
  worse: "worse (more broken than fixed)",
  same: "as many fixed as broken",
};

/** A delta as text: "0" when unchanged at the digits shown (read quietly), else signed (`+0.125`, `-3`). */
export function formatDelta(delta: number, ratio: boolean): string {
  if (!Number.isFinite(delta)) return "-";
  if (ratio ? Number(Math.abs(delta).toFixed(3)) === 0 : Math.trunc(delta) === 0) return "0";
  return ratio ? formatSignedScore(delta) : formatSigned(delta);
}

/** The word being typed at the caret: what the completions are asked for, and where it starts. */
export function wordAt(text: string, caret: number): { word: string; start: number } {
  const before = text.slice(0, caret);
  const match = /[A-Za-z_][\w.]*$/.exec(before);
  return match ? { word: match[0], start: caret - match[0].length } : { word: "", start: caret };
}

export interface Completion {
  /** What replaces the word typed. */
  insert: string;
  /** What the list shows beside it (a column's type, "class", "function", "keyword"). */
  kind: string;
}

/**
 * The server's completions (already those starting with the word) as one list: columns
 * first, then functions, classes (as `has('...')`) and keywords.
 */
export function completionsOf(answer: CompletionsOut): Completion[] {
  const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  return [
    ...answer.fields.map((f) => ({ insert: f.name, kind: f.type })),
    // Label metrics, for a label condition inside has() or count(): has(relative_area < 0.01).
    ...(answer.label_fields ?? []).filter((f) => f.name !== "class_name").map((f) => ({ insert: f.name, kind: `label ${f.type}` })),
    ...answer.functions.map((f) => ({ insert: `${f}(`, kind: "function" })),
    ...answer.classes.map((c) => ({ insert: `has(${quote(c)})`, kind: "class" })),
    ...answer.keywords.map((k) => ({ insert: k, kind: "keyword" })),
  ];
}

/** The text with the word at `start` (of `length` characters) replaced by `insert`, and the caret after it. */
export function applyCompletion(text: string, start: number, length: number, insert: string): { text: string; caret: number } {
  const spaced = insert.endsWith("(") ? insert : `${insert} `;
  return { text: text.slice(0, start) + spaced + text.slice(start + length), caret: start + spaced.length };
}
