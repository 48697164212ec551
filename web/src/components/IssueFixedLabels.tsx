/**
 * An issue's way out and back: export its elements (CSV, JSON or a COCO subset, all or those
 * of one status) to send for relabeling, then import the fixed labels (a COCO JSON file) as
 * a new dataset version and compare every inference set before and after on the issue's
 * frames and on all frames (the server's numbers; deltas colored, with a legend).
 */
import { useState, type ChangeEvent } from "react";
import { api } from "../api/client";
import type { DatasetOut } from "../api/types";
import { useApi } from "../hooks/useApi";
import { ELEMENT_STATUSES, EXPORT_TYPES, exportFileName, type ElementStatus, type ExportFormat, type Issue } from "../lib/issues";
import type { ViewContext } from "../views/context";
import { IssueBeforeAfter } from "./IssueBeforeAfter";
import { ErrorPanel, Loading } from "./Status";

/** Save text as a file through a temporary link (the export is fetched with the API key). */
export function download(text: string, name: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export interface IssueFixedLabelsProps {
  ctx: ViewContext;
  issue: Issue;
  /** The status the elements table shows (null: all), the export's default. */
  filter: ElementStatus | null;
}

export function IssueFixedLabels({ ctx, issue, filter }: IssueFixedLabelsProps) {
  const project = ctx.project.name;
  const [status, setStatus] = useState<ElementStatus | null>(filter);
  const [exporting, setExporting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The issue's dataset (the header's when it is one of the issue's): the COCO subset's, and the one fixed labels replace.
  const issueDatasets = [...new Set(issue.elements.map((e) => e.dataset))];
  const before = issueDatasets.includes(ctx.dataset) ? ctx.dataset : (issueDatasets[0] ?? ctx.dataset);
  const exportAs = async (format: ExportFormat) => {
    setExporting(true);
    setError(null);
    try {
      const text = await api.exportIssue(project, issue.name, format, status, format === "coco" ? before : undefined);
      download(text, exportFileName(issue.name, format), EXPORT_TYPES[format]);
    } catch (e) {
      setError(e);
    } finally {
      setExporting(false);
    }
  };
  const datasets = useApi(JSON.stringify(["datasets", project, "fixed", issue.updated_at]), (signal) => api.datasets(project, { signal }));
  const [after, setAfter] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);
  const [imported, setImported] = useState<DatasetOut | null>(null);
  const choices = (datasets.data ?? []).map((d) => d.name).filter((n) => n !== before);
  const compareWith = after ?? imported?.name ?? null;
  const comparisonKey = compareWith ? JSON.stringify(["before-after", project, issue.name, before, compareWith, ctx.conf, ctx.iou]) : null;
  const comparison = useApi(comparisonKey, (signal) =>
    api.issueBeforeAfter(project, issue.name, { before, after: compareWith!, conf: ctx.conf, iou: ctx.iou }, { signal }),
  );
  const importFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    setImporting(true);
    setError(null);
    try {
      let coco: unknown;
      try {
        coco = JSON.parse(await file.text());
      } catch (err) {
        throw new Error(`${file.name} is not JSON: ${(err as Error).message}`);
      }
      const created = await api.importFixedLabels(project, issue.name, before, coco);
      setImported(created);
      setAfter(null);
      datasets.reload();
    } catch (err) {
      setError(err);
    } finally {
      setImporting(false);
    }
  };
  return (
    <div className="issue-fixed">
      <section aria-labelledby="issue-export-title">
        <h3 id="issue-export-title">Export for relabeling</h3>
        <div className="issue-export" role="group" aria-label="Export the issue's elements">
          <label>
            Elements{" "}
            <select aria-label="Export status" value={status ?? ""} onChange={(e) => setStatus((e.target.value || null) as ElementStatus | null)}>
              <option value="">All ({issue.elements.length})</option>
              {ELEMENT_STATUSES.map((s) => <option key={s.value} value={s.value}>{s.title} ({issue.counts[s.value] ?? 0})</option>)}
            </select>
          </label>
          <button type="button" disabled={exporting} onClick={() => void exportAs("csv")} title="One row per element">CSV</button>
          <button type="button" disabled={exporting} onClick={() => void exportAs("json")} title="The elements as JSON">JSON</button>
          <button type="button" disabled={exporting} onClick={() => void exportAs("coco")} title={`The elements' frames of ${before} with their labels, as COCO`}>COCO subset</button>
        </div>
      </section>
      <section aria-labelledby="issue-import-title">
        <h3 id="issue-import-title">Import fixed labels</h3>
        <p className="muted">
          A COCO file of the relabeled frames (as the COCO subset exports them) becomes a new dataset: every frame of {before}, the
          file's frames with the file's labels, a copy of every inference set.
        </p>
        <div className="issue-import">
          <label className="file-button">
            Import fixed labels (COCO JSON){" "}
            <input type="file" accept=".json,application/json" aria-label="Fixed labels file" disabled={importing} onChange={(e) => void importFile(e)} />
          </label>
          {importing && <span className="muted" role="status">Importing…</span>}
          {imported && (
            <span role="status" data-testid="fixed-dataset">
              New dataset <strong>{imported.name}</strong> ({imported.num_frames} frames, {imported.num_labels} labels).{" "}
              <button type="button" className="link" onClick={() => ctx.update({ dataset: imported.name, view: "metrics" })}>Open it</button>
            </span>
          )}
          <label>
            Compare {before} with{" "}
            <select aria-label="Dataset after" value={compareWith ?? ""} onChange={(e) => setAfter(e.target.value || null)}>
              <option value="">(choose the fixed dataset)</option>
              {[...new Set([...choices, ...(imported ? [imported.name] : [])])].map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
        </div>
        <Loading active={comparison.loading} label="Comparing before and after" />
        {comparison.error !== null && <ErrorPanel error={comparison.error} onRetry={comparison.reload} title="The comparison could not be computed" />}
        {comparison.data && comparison.dataKey === comparisonKey && <IssueBeforeAfter comparison={comparison.data} />}
      </section>
      {error !== null && <ErrorPanel error={error} title="That did not work" onRetry={() => setError(null)} />}
    </div>
  );
}
