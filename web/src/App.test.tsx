// @vitest-environment jsdom
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { App } from "./App";

describe("App shell (placeholder over fixtures)", () => {
  it("says it is a placeholder and switches views with tabs and arrow keys", async () => {
    const user = userEvent.setup();
    render(<App />);
    expect(screen.getByRole("note")).toHaveTextContent(/Placeholder/);
    expect(screen.getByRole("tab", { name: "Metrics" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("table", { name: /Classification report/ })).toBeInTheDocument();
    await user.click(screen.getByRole("tab", { name: "Scenarios" }));
    expect(screen.getByRole("heading", { name: "Regression tests" })).toBeInTheDocument();
    expect(screen.getAllByRole("article").length).toBeGreaterThan(3);
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Compare" })).toHaveFocus();
    expect(screen.getByText(/false positives (increased|decreased|unchanged)/)).toBeInTheDocument();
  });

  it("a matrix cell filters the examples below it", async () => {
    const user = userEvent.setup();
    render(<App />);
    const examples = screen.getByRole("region", { name: "All objects" });
    const before = within(examples).queryAllByRole("listitem").length;
    expect(before).toBeGreaterThan(0);
    await user.click(screen.getByRole("button", { name: /^truth circle, predicted circle:/ }));
    const filtered = screen.getByRole("region", { name: "circle → circle" });
    const items = within(filtered).getAllByRole("listitem");
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item).toHaveTextContent(/circle\s*TP/);
  });

  it("opening a scenario card goes to Metrics", async () => {
    const user = userEvent.setup();
    render(<App />);
    await user.click(screen.getByRole("tab", { name: "Scenarios" }));
    await user.click(screen.getByRole("button", { name: "test regression" }));
    expect(screen.getByRole("tab", { name: "Metrics" })).toHaveAttribute("aria-selected", "true");
  });
});
