// @vitest-environment jsdom
import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ClassificationExample, topProbabilities } from "./ClassificationExample";

const classes = ["0", "1", "2", "3", "4", "5"];

describe("topProbabilities", () => {
  it("keeps the k largest, ties in class order", () => {
    expect(topProbabilities([0.1, 0.3, 0.3, 0.05, 0.2, 0.05], classes, 3)).toEqual([
      { label: "1", probability: 0.3 },
      { label: "2", probability: 0.3 },
      { label: "4", probability: 0.2 },
    ]);
  });
});

describe("ClassificationExample", () => {
  it("shows the true and predicted class and the top-5 probabilities, the true class marked", () => {
    render(<ClassificationExample frameId="0002" imageUrl="/img" truth="2" predicted="1" confidence={0.4}
      probabilities={[0.05, 0.4, 0.3, 0.1, 0.1, 0.05]} classes={classes} />);
    expect(screen.getByTestId("true-class")).toHaveTextContent("2");
    expect(screen.getByTestId("predicted-class")).toHaveTextContent("1 wrong");
    expect(screen.getByTestId("predicted-confidence")).toHaveTextContent("0.400");
    const table = screen.getByRole("table", { name: "Top 5 probabilities" });
    const rows = within(table).getAllByRole("row").slice(1).map((r) => [...r.querySelectorAll("th, td")].slice(0, 2).map((c) => c.textContent));
    expect(rows).toEqual([["1", "0.400"], ["2 (true)", "0.300"], ["3", "0.100"], ["4", "0.100"], ["0", "0.050"]]);
  });

  it("says when the inference set recorded no probabilities", () => {
    render(<ClassificationExample frameId="7" imageUrl="/img" truth="3" predicted="3" confidence={0.9}
      probabilities={null} classes={classes} />);
    expect(screen.getByTestId("predicted-class")).toHaveTextContent("3 correct");
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.getByTestId("no-probabilities")).toHaveTextContent("recorded no per-class probabilities");
  });
});

describe("ClassificationExample of a text frame", () => {
  it("shows the frame's text instead of an image", () => {
    render(<ClassificationExample frameId="r1" imageUrl="/img" truth="pos" predicted="neg" confidence={0.7}
      probabilities={null} classes={["neg", "pos"]} text="A quiet, lovely film." />);
    expect(screen.getByLabelText("Text")).toHaveTextContent("A quiet, lovely film.");
    expect(screen.queryByRole("img")).toBeNull();
    expect(screen.getByTestId("predicted-class")).toHaveTextContent("neg wrong");
  });
});
