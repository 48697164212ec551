// @vitest-environment jsdom
import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ThemeProvider } from "../theme";
import { EXAMPLE_IMAGE_WIDTH, ExampleModal } from "./ExampleModal";

function setup(position: number | null, count = 3) {
  const handlers = { onPrevious: vi.fn(), onNext: vi.fn(), onClose: vi.fn() };
  const widths: number[] = [];
  render(
    <ThemeProvider>
      <ExampleModal opened title="False negatives" position={position} count={count} {...handlers}>
        {(width) => { widths.push(width); return <button type="button">inside</button>; }}
      </ExampleModal>
    </ThemeProvider>,
  );
  return { ...handlers, widths };
}

describe("ExampleModal", () => {
  it("steps with the arrow keys and its buttons, within the page", () => {
    const { onPrevious, onNext } = setup(1);
    const inside = screen.getByRole("button", { name: "inside" });
    fireEvent.keyDown(inside, { key: "ArrowRight" });
    fireEvent.keyDown(inside, { key: "ArrowLeft" });
    expect(onNext).toHaveBeenCalledTimes(1);
    expect(onPrevious).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("example-position")).toHaveTextContent("example 2 of 3 on this page");
  });

  it("has no previous on the first example and no next on the last", () => {
    const { onPrevious } = setup(0, 1);
    expect(screen.getByRole("button", { name: "← Previous" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Next →" })).toBeDisabled();
    fireEvent.keyDown(screen.getByRole("button", { name: "inside" }), { key: "ArrowLeft" });
    expect(onPrevious).not.toHaveBeenCalled();
  });

  it("zooms the frame's width with + and - and its buttons", () => {
    const { widths } = setup(0);
    expect(widths.at(-1)).toBe(EXAMPLE_IMAGE_WIDTH);
    fireEvent.click(screen.getByRole("button", { name: "Zoom in" }));
    expect(widths.at(-1)).toBe(Math.round(EXAMPLE_IMAGE_WIDTH * 1.5));
    fireEvent.keyDown(screen.getByRole("button", { name: "inside" }), { key: "+" });
    expect(screen.getByLabelText("Zoom level")).toHaveTextContent("200%");
    fireEvent.keyDown(screen.getByRole("button", { name: "inside" }), { key: "0" });
    expect(widths.at(-1)).toBe(EXAMPLE_IMAGE_WIDTH);
  });

  it("closes on Escape", () => {
    const { onClose } = setup(0);
    fireEvent.keyDown(screen.getByRole("button", { name: "inside" }), { key: "Escape" });
    expect(onClose).toHaveBeenCalled();
  });
});
