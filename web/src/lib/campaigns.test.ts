import { describe, expect, it } from "vitest";
import {
  candidateStatusTitle, exportFileName, formatDistance, jobRunning, movedIndex, reviewKeyAction, runProgress, seedTitle, withReviewed,
  type CampaignJob, type Candidate, type CandidatesPage,
} from "./campaigns";

const candidate = (key: string, status: Candidate["status"] = "pending", rank = 1): Candidate => ({
  key, source: "frame", inference_set: null, id: key, frame_id: key, rank, distance: 0.1 * rank, seed: 0, status, note: "", reviewed_at: null,
});

const job = (patch: Partial<CampaignJob>): CampaignJob => ({
  id: "j", kind: "campaign", state: "running", done: 0, total: 4, created_at: "", started_at: null, finished_at: null, result: null, error: null, ...patch,
});

describe("campaign keys", () => {
  it("maps a, r, u to reviews and j, k, arrows to moves", () => {
    expect(reviewKeyAction("a")).toEqual({ kind: "review", status: "accepted" });
    expect(reviewKeyAction("r")).toEqual({ kind: "review", status: "rejected" });
    expect(reviewKeyAction("u")).toEqual({ kind: "review", status: "pending" });
    expect(reviewKeyAction("j")).toEqual({ kind: "move", step: 1 });
    expect(reviewKeyAction("ArrowLeft")).toEqual({ kind: "move", step: -1 });
    expect(reviewKeyAction("x")).toBeNull();
  });
  it("moves within the page", () => {
    expect(movedIndex(null, 1, 3)).toBe(0);
    expect(movedIndex(null, -1, 3)).toBe(2);
    expect(movedIndex(2, 1, 3)).toBe(2);
    expect(movedIndex(0, -1, 3)).toBe(0);
    expect(movedIndex(1, 1, 3)).toBe(2);
    expect(movedIndex(1, 1, 0)).toBeNull();
  });
});

describe("reviews on a page", () => {
  const page: CandidatesPage = {
    total: 3, offset: 0, counts: { pending: 3, accepted: 0, rejected: 0, total: 3 },
    candidates: [candidate("a", "pending", 1), candidate("b", "pending", 2), candidate("c", "pending", 3)],
  };
  const counts = { pending: 2, accepted: 1, rejected: 0, total: 3 };
  it("replaces the reviewed candidates and takes the server's counts", () => {
    const next = withReviewed(page, { candidates: [candidate("b", "accepted", 2)], counts }, null);
    expect(next.candidates.map((c) => c.status)).toEqual(["pending", "accepted", "pending"]);
    expect(next.counts).toEqual(counts);
    expect(next.total).toBe(3);
  });
  it("drops those that leave the filtered status", () => {
    const next = withReviewed(page, { candidates: [candidate("b", "accepted", 2)], counts }, "pending");
    expect(next.candidates.map((c) => c.key)).toEqual(["a", "c"]);
    expect(next.total).toBe(2);
  });
});

describe("words", () => {
  it("formats distances, statuses, seeds and file names", () => {
    expect(formatDistance(0.123456)).toBe("0.1235");
    expect(formatDistance(null)).toBe("—");
    expect(candidateStatusTitle("accepted")).toBe("Accepted");
    expect(seedTitle({ dataset: "val", source: "frame", id: "f1", frame_id: "f1", inference_set: null })).toBe("frame f1");
    expect(seedTitle({ dataset: "val", source: "prediction", id: "p2", frame_id: "f1", inference_set: "yolo" })).toBe("prediction p2 (yolo) of frame f1");
    expect(exportFileName("more white cars!", "accepted", "csv")).toBe("more_white_cars-accepted.csv");
  });
  it("says how far a run is", () => {
    expect(runProgress(null, 3)).toBe("");
    expect(runProgress(job({ state: "queued" }), 3)).toBe("Queued…");
    expect(runProgress(job({ done: 1 }), 3)).toBe("Searching: seed 1 of 3");
    expect(runProgress(job({ done: 3 }), 3)).toBe("Storing candidates…");
    expect(runProgress(job({ state: "failed", error: "boom" }), 3)).toBe("Failed: boom");
    expect(runProgress(job({ state: "done", result: { found: 9, new: 2, kept: 3, dropped: 1, unranked: 0, exact: true } }), 3))
      .toBe("Done: 9 candidates (2 new, 3 reviews kept, 1 dropped)");
    expect(jobRunning(job({ state: "running" }))).toBe(true);
    expect(jobRunning(job({ state: "done" }))).toBe(false);
  });
});
