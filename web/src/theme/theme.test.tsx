// @vitest-environment jsdom
import { fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { COLOR_SCHEME_KEY, ColorSchemeToggle, ThemeProvider } from "./index";

afterEach(() => window.localStorage.clear());

describe("ColorSchemeToggle", () => {
  it("switches to dark and back, and remembers the choice", () => {
    const { unmount } = render(<ThemeProvider><ColorSchemeToggle /></ThemeProvider>);
    const toggle = screen.getByRole("button", { name: "Dark mode" });
    expect(toggle).toHaveAttribute("aria-pressed", "false");
    fireEvent.click(toggle);
    expect(document.documentElement).toHaveAttribute("data-mantine-color-scheme", "dark");
    expect(window.localStorage.getItem(COLOR_SCHEME_KEY)).toBe("dark");
    unmount();
    // A new start reads the stored choice.
    render(<ThemeProvider><ColorSchemeToggle /></ThemeProvider>);
    expect(screen.getByRole("button", { name: "Dark mode" })).toHaveAttribute("aria-pressed", "true");
    fireEvent.click(screen.getByRole("button", { name: "Dark mode" }));
    expect(window.localStorage.getItem(COLOR_SCHEME_KEY)).toBe("light");
  });
});
