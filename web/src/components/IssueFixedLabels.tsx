/**
 * An issue's way out and back: export its elements (CSV, JSON or a COCO subset, all or those
 * of one status) to send for relabeling, then import the fixed labels (a COCO JSON file) as
 * a new dataset version and compare every inference set before and after on the issue's
 * frames and on all frames (the server's numbers; deltas colored, with a legend).
 */
import { useState } from "react";
import { api } from "../api/client";
import { ELEMENT_STATUSES, EXPORT_TYPES, exportFileName, type ElementStatus, type ExportFormat, type Issue } from "../lib/issues";
import type { ViewContext } from "../views/context";
import { ErrorPanel } from "./Status";

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
  const exportAs = async (format: ExportFormat) => {
    setExporting(true);
    setError(null);
    try {
      const text = await api.exportIssue(project, issue.name, format, status);
      download(text, exportFileName(issue.name, format), EXPORT_TYPES[format]);
    } catch (e) {
      setError(e);
    } finally {
      setExporting(false);
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
          <button type="button" disabled={exporting} onClick={() => void exportAs("coco")} title="The elements' frames with their labels, as COCO">COCO subset</button>
        </div>
      </section>
      {error !== null && <ErrorPanel error={error} title="The export failed" onRetry={() => setError(null)} />}
    </div>
  );
}
