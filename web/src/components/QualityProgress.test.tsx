// @vitest-environment jsdom
import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { describeProgress, QualityProgress, type QualityState } from "./QualityProgress";

const URL = "/api/v1/projects/shapes/datasets/rendered-scenes/quality";

function answer(over: Partial<QualityState>): QualityState {
  return {
    job_id: "j1", state: "none", done: 0, total: 0, images_read: null, frames_without_image: null,
    warning_count: null, warnings: [], notes: [], error: null, started_at: null, finished_at: null, computed: false,
    ...over,
  };
}

/** A fake server: each GET answers the next state (the last one repeats); POST answers 202. */
function serve(states: QualityState[]) {
  const calls: string[] = [];
  let next = 0;
  vi.stubGlobal("fetch", vi.fn(async (input: string, init?: RequestInit) => {
    const method = init?.method ?? "GET";
    calls.push(`${method} ${input}`);
    const body = method === "POST" ? answer({ state: "queued" }) : states[Math.min(next++, states.length - 1)];
    return new Response(JSON.stringify(body), { status: method === "POST" ? 202 : 200, headers: { "content-type": "application/json" } });
  }));
  return calls;
}

async function flush() {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(0);
  });
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("describeProgress", () => {
  it("says images done of total, or why there is no total yet", () => {
    expect(describeProgress({ state: "running", done: 1200, total: 5000 })).toBe("1,200 of 5,000 images");
    expect(describeProgress({ state: "queued", done: 0, total: 0 })).toBe("waiting to start");
    expect(describeProgress({ state: "running", done: 0, total: 0 })).toBe("counting images");
  });
});

describe("QualityProgress", () => {
  it("polls a running job, shows its progress and calls onComputed when it ends", async () => {
    const calls = serve([
      answer({ state: "running", done: 10, total: 300 }),
      answer({ state: "running", done: 150, total: 300 }),
      answer({ state: "done", done: 300, total: 300, images_read: 300, warning_count: 0, computed: true }),
    ]);
    const onComputed = vi.fn();
    render(<QualityProgress project="shapes" dataset="rendered-scenes" onComputed={onComputed} pollMs={500} />);
    await flush();
    expect(screen.getByRole("status")).toHaveTextContent("Computing quality metrics: 10 of 300 images");
    expect(screen.getByRole("progressbar", { name: "Quality metrics" })).toHaveAttribute("value", "10");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(500);
    });
    expect(screen.getByRole("status")).toHaveTextContent("150 of 300 images");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(500);
    });
    expect(screen.queryByRole("status")).toBeNull();
    expect(onComputed).toHaveBeenCalledTimes(1);
    expect(calls).toEqual([`GET ${URL}`, `GET ${URL}`, `GET ${URL}`]);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(5000);
    });
    expect(calls).toHaveLength(3); // no polling once done
  });

  it("offers to compute metrics a dataset lacks, and follows the job it starts", async () => {
    const calls = serve([answer({ state: "none", computed: false }), answer({ state: "running", done: 1, total: 4 })]);
    render(<QualityProgress project="shapes" dataset="rendered-scenes" pollMs={500} />);
    await flush();
    expect(screen.getByTestId("quality-progress")).toHaveTextContent("are not computed for this dataset");
    fireEvent.click(screen.getByRole("button", { name: "Compute them" }));
    await flush();
    await flush();
    expect(calls).toContain(`POST ${URL}`);
    expect(screen.getByRole("status")).toHaveTextContent("1 of 4 images");
  });

  it("lists the frames whose image was not read, and shows nothing when all is well", async () => {
    serve([answer({
      state: "done", computed: true, images_read: 2, warning_count: 3,
      warnings: [{ frame_id: "f1", message: "the image file is missing: /x/f1.jpg" }, { frame_id: "f2", message: "cannot read the image: truncated" }],
    })]);
    const { unmount } = render(<QualityProgress project="shapes" dataset="rendered-scenes" />);
    await flush();
    const panel = screen.getByTestId("quality-progress");
    expect(panel).toHaveTextContent("3 images were not read");
    expect(panel).toHaveTextContent("f1: the image file is missing: /x/f1.jpg");
    expect(panel).toHaveTextContent("… and 1 more");
    unmount();
    serve([answer({ state: "done", computed: true, images_read: 0, warning_count: 0, notes: ["60 frames not read: the dataset has no image root"] })]);
    const second = render(<QualityProgress project="shapes" dataset="rendered-scenes" />);
    await flush();
    expect(screen.getByTestId("quality-progress")).toHaveTextContent("some images were not read");
    expect(screen.getByTestId("quality-progress")).toHaveTextContent("60 frames not read: the dataset has no image root");
    second.unmount();
    serve([answer({ state: "none", computed: true })]);
    render(<QualityProgress project="shapes" dataset="rendered-scenes" />);
    await flush();
    expect(screen.queryByTestId("quality-progress")).toBeNull();
  });

  it("says why a job failed and offers to try again", async () => {
    serve([answer({ state: "failed", error: "dataset 'x' was deleted" })]);
    render(<QualityProgress project="shapes" dataset="rendered-scenes" />);
    await flush();
    expect(screen.getByRole("alert")).toHaveTextContent("Computing quality metrics failed: dataset 'x' was deleted");
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});
