// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { ApiKeyForm } from "./ApiKeyForm";

const asked = new ApiError(401, "unauthorized", "this server needs an API key", "header.Authorization");

describe("ApiKeyForm", () => {
  it("takes a key in a password field and submits it trimmed (Enter or the button)", async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn();
    render(<ApiKeyForm error={asked} onSubmit={onSubmit} />);
    const form = screen.getByRole("form", { name: "This server needs an API key" });
    expect(form).toHaveTextContent("The server answered: this server needs an API key");
    const input = screen.getByLabelText("API key");
    expect(input).toHaveAttribute("type", "password");
    expect(input).toHaveFocus();
    const button = screen.getByRole("button", { name: "Use key" });
    expect(button).toBeDisabled();
    await user.type(input, "   ");
    expect(button).toBeDisabled();
    await user.type(input, " abc{Enter}");
    expect(onSubmit).toHaveBeenLastCalledWith("abc");
    await user.click(button);
    expect(onSubmit).toHaveBeenCalledTimes(2);
  });

  it("says when the key was refused", () => {
    render(<ApiKeyForm error={new ApiError(401, "unauthorized", "unknown API key")} rejected onSubmit={() => {}} />);
    expect(screen.getByRole("alert")).toHaveTextContent("The key was not accepted: unknown API key");
  });
});
