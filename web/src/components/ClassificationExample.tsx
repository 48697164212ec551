import { useImageSource } from "../hooks/useImageSource";
import { formatScore } from "../lib/format";
import "./text.css";

/** Probabilities shown for an opened classification example (the largest first). */
export const TOP_K = 5;

export interface ClassificationExampleProps {
  frameId: string;
  imageUrl: string;
  /** The frame's ground-truth class (null: unlabeled). */
  truth: string | null;
  /** The inference set's predicted class and its confidence (null: no prediction). */
  predicted: string | null;
  confidence: number | null;
  /** The prediction's per-class probabilities, in the project's class order (null: the set has none). */
  probabilities: readonly number[] | null;
  /** The project's classes, in order (the probabilities' columns). */
  classes: readonly string[];
  /** Display width of the image in CSS pixels. */
  width?: number;
  /** A text frame's text (its `text` metadata, a frame without an image): shown instead of the image. */
  text?: string | null;
  onClose?: () => void;
}

/** The `k` largest probabilities with their classes (ties in class order). */
export function topProbabilities(probabilities: readonly number[], classes: readonly string[], k = TOP_K): Array<{ label: string; probability: number }> {
  return probabilities
    .map((probability, index) => ({ label: classes[index] ?? String(index), probability, index }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, k)
    .map(({ label, probability }) => ({ label, probability }));
}

/**
 * A classification example in its own terms: the image (no boxes: a class is the whole
 * frame's), the true and predicted class, and the top-k probabilities when the inference set
 * recorded them (else the confidence alone, and that the set has no probabilities).
 */
export function ClassificationExample({ frameId, imageUrl, truth, predicted, confidence, probabilities, classes, width = 320, text = null, onClose }: ClassificationExampleProps) {
  const src = useImageSource(text === null ? imageUrl : "");  // a text frame fetches no image
  const aligned = probabilities !== null && probabilities.length === classes.length;
  const top = aligned ? topProbabilities(probabilities, classes) : [];
  const correct = truth !== null && truth === predicted;
  return (
    <section className="classification-example" aria-label={`Frame ${frameId}`}>
      <header>
        <h3>Frame {frameId}</h3>
        {onClose && <button type="button" onClick={onClose}>Close</button>}
      </header>
      <div className="classification-example-body">
        {text === null
          ? <img src={src} alt={`Frame ${frameId}`} width={width} className="classification-image" />
          : <blockquote className="classification-text" aria-label="Text" style={{ width }}>{text}</blockquote>}
        <div>
          <dl className="metadata classification-labels" aria-label="Classes">
            <div><dt>True class</dt><dd data-testid="true-class">{truth ?? "none (unlabeled)"}</dd></div>
            <div>
              <dt>Predicted class</dt>
              <dd data-testid="predicted-class">
                {predicted ?? "none"}{" "}
                {predicted !== null && truth !== null && (
                  <span className={correct ? "verdict-pass score" : "verdict-fail score"}>{correct ? "correct" : "wrong"}</span>
                )}
              </dd>
            </div>
            <div><dt>Confidence</dt><dd className="num-inline" data-testid="predicted-confidence">{formatScore(confidence, 3)}</dd></div>
          </dl>
          {aligned ? (
            <table className="top-k">
              <caption>Top {top.length} probabilities</caption>
              <thead><tr><th scope="col">Class</th><th scope="col" className="num">Probability</th><th scope="col"><span className="visually-hidden">Bar</span></th></tr></thead>
              <tbody>
                {top.map((t) => (
                  <tr key={t.label} className={t.label === truth ? "is-truth" : undefined}>
                    <th scope="row">{t.label}{t.label === truth ? " (true)" : ""}</th>
                    <td className="num">{formatScore(t.probability, 3)}</td>
                    <td><span className="prob-bar" style={{ width: `${Math.round(t.probability * 120)}px` }} aria-hidden="true" /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted" data-testid="no-probabilities">
              {probabilities === null
                ? "This inference set recorded no per-class probabilities: only the predicted class and its confidence are known."
                : `The probabilities (${probabilities.length}) do not match the project's ${classes.length} classes, so they are not shown.`}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}
