// @vitest-environment jsdom
import { render as renderBare, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState, type ReactElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Campaign, CampaignJob, Candidate, CandidateStatus } from "../lib/campaigns";
import { CampaignCandidateCard } from "../components/CampaignCandidateCard";
import { shapes } from "../fixtures";
import { DATASET, installMockApi, PROJECT, type Call, type Handler } from "../test/mockApi";
import { ThemeProvider } from "../theme";
import { CampaignsView } from "./CampaignsView";

const render = (ui: ReactElement) => renderBare(ui, { wrapper: ThemeProvider });
afterEach(() => vi.unstubAllGlobals());

const NOW = "2026-12-03T07:00:00.000Z";
const error = (status: number, detail: string) => ({ status, body: { error: "e", detail, where: null } });

/** A fake of the campaign routes (the server's shapes), over campaigns kept in memory. */
function campaignServer() {
  const campaigns = new Map<string, Campaign>();
  const candidates = new Map<string, Candidate[]>();
  const counts = (name: string) => {
    const all = candidates.get(name) ?? [];
    const by = (s: CandidateStatus) => all.filter((c) => c.status === s).length;
    return { pending: by("pending"), accepted: by("accepted"), rejected: by("rejected"), total: all.length };
  };
  const out = (c: Campaign): Campaign => ({ ...c, counts: counts(c.name) });
  const job = (name: string): CampaignJob => ({
    id: "j1", kind: "campaign", state: "done", done: 4, total: 4, created_at: NOW, started_at: NOW, finished_at: NOW,
    result: { found: candidates.get(name)!.length, new: candidates.get(name)!.length, kept: 0, dropped: 0, unranked: 0, exact: true }, error: null,
  });
  const handler: Handler = ({ method, path, query, body }: Call) => {
    const project = `/api/v1/projects/${PROJECT}`;
    if (path === `${project}/issues` && method === "GET") {
      return { body: ["circles", "squares"].map((name) => ({ uuid: name, name, description: "", notes: "", owner: "", status: "open", created_at: NOW,
        updated_at: NOW, counts: { open: 3, confirmed: 0, fixed: 0, dismissed: 0 }, elements: [] })) };
    }
    if (path === `${project}/datasets/unlabeled/embeddings`) return { body: [{ model: "scene", dimension: 32, frames: 40, labels: 0, predictions: {} }] };
    const base = `${project}/campaigns`;
    if (path === base && method === "GET") return { body: [...campaigns.values()].map(out) };
    if (path === base && method === "POST") {
      const b = body as { name: string; corpus: string; issue: string; k: number; k_per: "seed" | "total"; metric: "cosine" | "euclidean" };
      const created: Campaign = {
        uuid: "c", name: b.name, description: "", issue: b.issue, corpus: b.corpus, embedding: "scene", kind: "frame", metric: b.metric, k: b.k,
        k_per: b.k_per, status: "open", created_at: NOW, updated_at: NOW, run_at: null, corpus_version: null, exact: null, stale: null,
        seeds: ["f1", "f2", "f3"].map((f) => ({ dataset: "rendered-scenes", source: "frame" as const, id: f, frame_id: f, inference_set: null })),
        counts: { pending: 0, accepted: 0, rejected: 0, total: 0 },
      };
      campaigns.set(b.name, created);
      candidates.set(b.name, []);
      return { status: 201, body: out(created) };
    }
    const m = path.match(new RegExp(`^${base}/([^/]+)(/.*)?$`));
    if (!m) return undefined;
    const name = decodeURIComponent(m[1]!);
    const campaign = campaigns.get(name);
    if (!campaign) return error(404, "no such campaign");
    const rest = m[2] ?? "";
    if (rest === "" && method === "GET") return { body: out(campaign) };
    if (rest === "/run" && method === "GET") return candidates.get(name)!.length ? { body: job(name) } : error(404, "never ran");
    if (rest === "/run" && method === "POST") {
      candidates.set(name, Array.from({ length: 5 }, (_, i) => ({
        key: `u${i}`, source: "frame" as const, inference_set: null, id: `u${i}`, frame_id: `u${i}`, rank: i + 1, distance: 0.01 * (i + 1),
        seed: i % 3, status: "pending" as const, note: "", reviewed_at: null,
      })));
      campaign.run_at = NOW;
      return { status: 202, body: job(name) };
    }
    if (rest === "/candidates") {
      const status = query.get("status");
      const all = candidates.get(name)!.filter((c) => !status || c.status === status);
      return { body: { total: all.length, offset: 0, counts: counts(name), candidates: all } };
    }
    if (rest === "/review" && method === "POST") {
      const b = body as { keys: string[]; status: CandidateStatus };
      const found = candidates.get(name)!.filter((c) => b.keys.includes(c.key));
      if (found.length !== b.keys.length) return error(404, "no such candidate");
      for (const c of found) c.status = b.status;
      return { body: { candidates: found.map((c) => ({ ...c })), counts: counts(name) } };
    }
    return undefined;
  };
  return { handler, campaigns, candidates };
}

function Stateful({ initial = null }: { initial?: string | null }) {
  const [campaign, setCampaign] = useState<string | null>(initial);
  return <CampaignsView project={PROJECT} datasets={["rendered-scenes", "unlabeled"]} campaign={campaign} onOpen={setCampaign} />;
}

describe("CampaignsView", () => {
  it("creates a campaign from an issue, runs it, and reviews with the keys", async () => {
    const user = userEvent.setup();
    const server = campaignServer();
    const calls = installMockApi(server.handler);
    render(<Stateful />);
    const form = await screen.findByRole("form", { name: "New campaign" });
    await waitFor(() => expect(within(form).getByLabelText("Name")).toHaveValue("more circles"));
    expect(within(form).getByLabelText("Corpus (searched)")).toHaveValue("unlabeled");
    await user.click(within(form).getByRole("button", { name: "Create campaign" }));
    await screen.findByRole("heading", { name: "more circles" });
    const created = calls.find((c) => c.method === "POST" && c.path.endsWith("/campaigns"))!;
    expect(created.body).toEqual({ name: "more circles", corpus: "unlabeled", issue: "circles", k: 10, k_per: "seed", metric: "cosine" });
    expect(screen.getByText("Run the campaign to find candidates.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Run" }));
    await waitFor(() => expect(screen.getByTestId("run-progress")).toHaveTextContent("Done: 5 candidates (5 new, 0 reviews kept)"));
    const gallery = await screen.findByRole("list", { name: "Candidates" });
    await waitFor(() => expect(within(gallery).getAllByRole("listitem")).toHaveLength(5));
    expect(within(gallery).getAllByTestId("candidate-distance").map((d) => d.textContent)).toEqual(["0.0100", "0.0200", "0.0300", "0.0400", "0.0500"]);

    // a accepts the first (and moves on), r rejects the second, j skips, a accepts the fourth.
    await user.keyboard("arj");
    await user.keyboard("a");
    await waitFor(() => expect(screen.getByTestId("count-accepted")).toHaveTextContent("2"));
    expect(screen.getByTestId("count-rejected")).toHaveTextContent("1");
    const reviews = calls.filter((c) => c.path.endsWith("/review")).map((c) => c.body);
    expect(reviews).toEqual([
      { keys: ["u0"], status: "accepted" }, { keys: ["u1"], status: "rejected" }, { keys: ["u3"], status: "accepted" },
    ]);
    const cards = within(gallery).getAllByRole("listitem");
    expect(cards.map((c) => c.getAttribute("data-status"))).toEqual(["accepted", "rejected", "pending", "accepted", "pending"]);
    expect(cards[4]).toHaveAttribute("aria-current", "true");

    // A button undoes a review; the Accepted filter lists the accepted ones.
    await user.click(within(cards[0]!).getByRole("button", { name: "Accept" }));
    await waitFor(() => expect(screen.getByTestId("count-accepted")).toHaveTextContent("1"));
    await user.click(screen.getByRole("button", { name: /^Accepted/ }));
    await waitFor(() => expect(within(gallery).getAllByRole("listitem").map((c) => c.getAttribute("data-key"))).toEqual(["u3"]));

    // Enter opens the focused candidate larger; the keys review it there; Escape closes it.
    (document.activeElement as HTMLElement | null)?.blur();
    await user.keyboard("{Enter}");
    const preview = await screen.findByRole("dialog", { name: "Candidate frame u3" });
    expect(preview).toHaveTextContent("distance 0.0400");
    await user.keyboard("r");
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith("/review")).at(-1)!.body).toEqual({ keys: ["u3"], status: "rejected" }));
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("starts from the issue it was opened for", async () => {
    installMockApi(campaignServer().handler);
    render(<CampaignsView project={PROJECT} datasets={["rendered-scenes", "unlabeled"]} campaign={null} issue="squares" onOpen={() => {}} />);
    const form = await screen.findByRole("form", { name: "New campaign" });
    await waitFor(() => expect(within(form).getByLabelText("Seeds: the elements of issue")).toHaveValue("squares"));
    expect(within(form).getByLabelText("Name")).toHaveValue("more squares");
  });

  it("says what the server refused", async () => {
    const user = userEvent.setup();
    const server = campaignServer();
    installMockApi(({ method, path }) => (method === "POST" && path.endsWith("/campaigns")
      ? error(400, "a crop campaign's seeds are labels or predictions") : undefined), server.handler);
    render(<Stateful />);
    const form = await screen.findByRole("form", { name: "New campaign" });
    await waitFor(() => expect(within(form).getByLabelText("Name")).toHaveValue("more circles"));
    await user.click(within(form).getByRole("button", { name: "Create campaign" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("a crop campaign's seeds are labels or predictions");
  });

  it("draws a crop candidate's box on its frame", async () => {
    installMockApi();
    const frame = shapes.frames[0]!;
    const predicted = frame.objects.find((o) => o.kind === "prediction")!;
    const campaign: Campaign = {
      uuid: "c", name: "crops", description: "", issue: null, corpus: DATASET, embedding: "crop", kind: "crop", metric: "cosine", k: 3, k_per: "seed",
      status: "open", created_at: NOW, updated_at: NOW, run_at: NOW, corpus_version: 1, exact: true, stale: false, seeds: [],
      counts: { pending: 1, accepted: 0, rejected: 0, total: 1 },
    };
    const candidate: Candidate = {
      key: `prediction/${shapes.inferenceSet}/prediction-${predicted.id}`, source: "prediction", inference_set: shapes.inferenceSet,
      id: `prediction-${predicted.id}`, frame_id: frame.frame_id, rank: 1, distance: 0.2, seed: null, status: "pending", note: "", reviewed_at: null,
    };
    const { container } = render(
      <ol><CampaignCandidateCard project={PROJECT} campaign={campaign} candidate={candidate} focused={false} onFocus={() => {}} onReview={() => {}} readOnly={false} /></ol>,
    );
    await waitFor(() => expect(container.querySelectorAll('.annotated-image rect[data-kind="prediction"]')).toHaveLength(1));
    expect(container).toHaveTextContent(`prediction prediction-${predicted.id} (${shapes.inferenceSet}) of frame ${frame.frame_id}`);
  });
});
